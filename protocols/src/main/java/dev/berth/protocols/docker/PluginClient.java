package dev.berth.protocols.docker;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.protocols.http.Json;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A client of the plugin protocol that talks the way dockerd does (observed, see
 * shared/reference/machine.md): {@code POST}, HTTP/1.1, a {@code Host:} header with an EMPTY value,
 * {@code Accept: application/vnd.docker.plugins.v1.2+json}, no Content-Type, a JSON body followed
 * by "\n", one kept-alive connection. For tests and the benchmark, so that they exercise the server
 * exactly as the engine does; one instance per thread.
 */
public final class PluginClient implements AutoCloseable {
    private final Path socket;
    private SocketChannel channel;
    private InputStream in;

    /** A reply: status, headers (names lower-cased) and body. */
    public record Reply(int status, Map<String, String> headers, String body) {
        public JsonNode json() {
            try {
                return Json.MAPPER.readTree(body);
            } catch (IOException e) {
                throw new IllegalStateException("reply is not JSON: " + body, e);
            }
        }

        /** The {@code Err} field, or "" when there is none. */
        public String err() {
            return json().path("Err").asText("");
        }
    }

    private PluginClient(Path socket) {
        this.socket = socket;
    }

    public static PluginClient connect(Path socket) {
        PluginClient c = new PluginClient(socket);
        c.open();
        return c;
    }

    /** {@code POST path} with {@code json + "\n"} as body; a null body sends none (as Activate does). */
    public Reply call(String path, String json) {
        byte[] body = json == null ? new byte[0] : (json + "\n").getBytes(StandardCharsets.UTF_8);
        String head = "POST " + path + " HTTP/1.1\r\n"
                + "Host: \r\n"
                + "User-Agent: Go-http-client/1.1\r\n"
                + "Content-Length: " + body.length + "\r\n"
                + "Accept: application/vnd.docker.plugins.v1.2+json\r\n"
                + "Accept-Encoding: gzip\r\n"
                + "\r\n";
        byte[] head8 = head.getBytes(StandardCharsets.US_ASCII);
        byte[] request = new byte[head8.length + body.length];
        System.arraycopy(head8, 0, request, 0, head8.length);
        System.arraycopy(body, 0, request, head8.length, body.length);
        return raw(request);
    }

    /** Sends these exact bytes as one request and reads one reply. */
    public Reply raw(byte[] request) {
        try {
            if (channel == null || !channel.isOpen()) {
                open();
            }
            ByteBuffer buf = ByteBuffer.wrap(request);
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
            Reply reply = read();
            if ("close".equalsIgnoreCase(reply.headers().get("connection"))) {
                close();
            }
            return reply;
        } catch (IOException e) {
            close();
            throw new UncheckedIOException("plugin call on " + socket + " failed: " + e.getMessage(), e);
        }
    }

    private void open() {
        try {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(socket));
            in = new BufferedInputStream(Channels.newInputStream(channel), 64 * 1024);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot connect to " + socket + ": " + e.getMessage(), e);
        }
    }

    private Reply read() throws IOException {
        String statusLine = line();
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP reply: " + statusLine);
        }
        int status = Integer.parseInt(parts[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String h = line(); !h.isEmpty(); h = line()) {
            int colon = h.indexOf(':');
            headers.put(h.substring(0, colon).strip().toLowerCase(Locale.ROOT), h.substring(colon + 1).strip());
        }
        byte[] body;
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (int size = Integer.parseInt(line().split(";")[0].strip(), 16); size > 0;
                 size = Integer.parseInt(line().split(";")[0].strip(), 16)) {
                out.write(exactly(size));
                line();
            }
            while (!line().isEmpty()) {
                // trailers: none expected
            }
            body = out.toByteArray();
        } else {
            body = exactly(Integer.parseInt(headers.getOrDefault("content-length", "0")));
        }
        return new Reply(status, headers, new String(body, StandardCharsets.UTF_8));
    }

    private byte[] exactly(int n) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length != n) {
            throw new EOFException("reply ended after " + b.length + " of " + n + " bytes");
        }
        return b;
    }

    private String line() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new EOFException("connection closed by the server");
            }
            if (c != '\r') {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }

    @Override
    public void close() {
        try {
            if (channel != null) {
                channel.close();
            }
        } catch (IOException ignored) {
            // closing a unix socket client cannot lose data
        }
        channel = null;
    }
}
