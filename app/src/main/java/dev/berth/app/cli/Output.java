package dev.berth.app.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.berth.protocols.http.Json;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The -o / -q options shared by every command that prints data, and the printers behind them. */
public final class Output {
    /** Made on first use: picocli creates this mixin for every command it builds, printing or not. */
    private static final class Yaml {
        static final ObjectMapper MAPPER = new ObjectMapper(new YAMLFactory()
                .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
                .registerModule(new JavaTimeModule()).disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    }

    enum Format { table, json, yaml }

    @Option(names = {"-o", "--output"}, description = "Output format: ${COMPLETION-CANDIDATES} (default: table)")
    Format format = Format.table;

    @Option(names = {"-q", "--quiet"}, description = "Print only names (or nothing where there is no name)")
    boolean quiet;

    boolean structured() {
        return format != Format.table;
    }

    void data(PrintWriter out, Object value) {
        try {
            if (format == Format.json) {
                out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(value));
            } else {
                out.print(Yaml.MAPPER.writeValueAsString(value));
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        out.flush();
    }

    /** A plain text table with aligned columns. */
    static void table(PrintWriter out, List<String> header, List<List<String>> rows) {
        List<List<String>> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        int[] width = new int[header.size()];
        for (List<String> r : all) {
            for (int i = 0; i < r.size(); i++) {
                width[i] = Math.max(width[i], r.get(i) == null ? 1 : r.get(i).length());
            }
        }
        for (List<String> r : all) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.size(); i++) {
                String cell = r.get(i) == null ? "-" : r.get(i);
                line.append(i == r.size() - 1 ? cell : String.format("%-" + (width[i] + 2) + "s", cell));
            }
            out.println(line.toString().stripTrailing());
        }
        out.flush();
    }
}
