package dev.berth.app.cli;

import dev.berth.app.config.Config;
import dev.berth.app.config.Key;
import dev.berth.app.config.Keys;
import dev.berth.app.config.ServiceConfig;
import dev.berth.app.config.Setting;
import dev.berth.app.daemon.Wiring;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "env", description = "Show the effective configuration and where each value came from.")
public final class EnvCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "Config file (default: /etc/berth/config.yml if present)")
    Path config;
    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a key as `serve --set` would")
    Map<String, String> set = new LinkedHashMap<>();
    @Mixin
    Output output;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Config cfg = Wiring.configLoader().load(config, System.getenv(), set);
        List<Setting> rows = new ArrayList<>();
        for (Key k : Keys.ALL) {
            Setting s = cfg.settings().get(k.name());
            rows.add(Keys.SECRET.contains(k) && !s.value().isEmpty() ? new Setting(s.key(), "(set, not shown)", s.source()) : s);
        }
        for (ServiceConfig s : cfg.services()) {
            rows.add(new Setting("services." + s.name() + ".driver", s.driver(), s.source()));
            s.options().forEach((o, v) -> rows.add(new Setting("services." + s.name() + ".options." + o, v, s.source())));
            if (!s.allow().isEmpty()) {
                rows.add(new Setting("services." + s.name() + ".allow", String.join(",", s.allow()), s.source()));
            }
            if (!s.deny().isEmpty()) {
                rows.add(new Setting("services." + s.name() + ".deny", String.join(",", s.deny()), s.source()));
            }
        }
        var out = spec.commandLine().getOut();
        if (output.structured()) {
            output.data(out, rows);
        } else {
            List<List<String>> table = new ArrayList<>();
            for (Setting s : rows) {
                Key k = Keys.byName().get(s.key());
                table.add(List.of(s.key(), s.value(), s.source(), k == null ? "" : k.env()));
            }
            Output.table(out, List.of("KEY", "VALUE", "SOURCE", "ENV"), table);
        }
        return ExitCodes.OK;
    }
}
