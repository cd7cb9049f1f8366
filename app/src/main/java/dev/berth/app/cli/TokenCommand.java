package dev.berth.app.cli;

import dev.berth.app.config.Keys;
import dev.berth.app.daemon.Wiring;
import dev.berth.protocols.http.Json;
import dev.berth.protocols.rest.security.TokenIssuer;
import java.io.PrintWriter;
import java.nio.file.Path;
import dev.berth.core.model.Durations;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "token",
        description = "Make and inspect API tokens (JWT bearer tokens for the TCP API).",
        subcommands = {TokenCommand.New.class, TokenCommand.Decode.class})
public final class TokenCommand {

    @Command(name = "new",
            description = {"Print a new HS256 token signed with the controller's key.",
            "Send it as `Authorization: Bearer TOKEN` (the CLI: --token or BERTH_TOKEN).",
            "Agents need a node token (--node ID), kept in a file (controller.tokenFile)."})
    static final class New implements Callable<Integer> {
        @Option(names = "--subject", paramLabel = "NAME",
                description = "Who the token is for (the `sub` claim; allow/deny lists match it); "
                        + "with --node the default is node-ID")
        String subject;
        @Option(names = "--node", paramLabel = "ID",
                description = "Make a node token for an agent: it may use the /v1/control routes for node ID only")
        String node;
        @Option(names = "--ttl", defaultValue = "24h", converter = TtlConverter.class, paramLabel = "DURATION",
                description = "Lifetime, e.g. 30m, 24h, 7d (default: ${DEFAULT-VALUE}; at most auth.maxTokenTtl, default 30d)")
        Duration ttl;
        @Option(names = "--config", paramLabel = "FILE",
                description = "Config file whose auth.maxTokenTtl caps --ttl (default: /etc/berth/config.yml if present)")
        Path config;
        @Option(names = "--key", required = true, paramLabel = "FILE",
                description = "The controller's HS256 key file (it must exist; the controller creates it)")
        Path key;
        @Option(names = "--claim", paramLabel = "KEY=VALUE", description = "An extra string claim (repeatable)")
        Map<String, String> claims = new LinkedHashMap<>();
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            if (subject == null && node == null) {
                throw new ParameterException(spec.commandLine(), "a token needs --subject NAME (users and admins) "
                        + "or --node ID (agents: a node token)");
            }
            // The controller refuses tokens that live longer than its auth.maxTokenTtl: never make one.
            Duration max = Wiring.configLoader().load(config, System.getenv(), Map.of()).duration(Keys.AUTH_MAX_TOKEN_TTL);
            if (ttl.compareTo(max) > 0) {
                throw new ParameterException(spec.commandLine(), "--ttl " + Durations.human(ttl)
                        + " is longer than the maximum token lifetime of " + Durations.human(max)
                        + " (auth.maxTokenTtl), and the controller refuses such tokens: use a shorter --ttl, "
                        + "or raise auth.maxTokenTtl in the controller's configuration first");
            }
            String token = TokenIssuer.issueHs256(key, subject, node, ttl, new LinkedHashMap<>(claims));
            // Only the token on stdout, so that TOKEN=$(berth token new ...) works.
            spec.commandLine().getOut().println(token);
            spec.commandLine().getOut().flush();
            return ExitCodes.OK;
        }
    }

    @Command(name = "decode",
            description = {"Show a token's header and claims and whether it has expired.",
            "Does NOT check the signature: only the controller can."})
    static final class Decode implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "TOKEN", description = "The token (a leading 'Bearer ' is ignored)")
        String token;
        @Mixin
        Output output;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Map<String, Object> decoded = new LinkedHashMap<>(TokenIssuer.decode(token));
            Object exp = ((Map<?, ?>) decoded.get("claims")).get("exp");
            Instant now = Instant.now();
            Instant expiresAt = exp instanceof Number n ? Instant.ofEpochSecond(n.longValue()) : null;
            PrintWriter out = spec.commandLine().getOut();
            if (output.structured()) {
                decoded.put("expiresAt", expiresAt == null ? null : expiresAt.toString());
                decoded.put("expired", expiresAt != null && now.isAfter(expiresAt));
                decoded.put("verified", false);
                output.data(out, decoded);
                return ExitCodes.OK;
            }
            out.println("header: " + Json.write(decoded.get("header")));
            out.println("claims: " + Json.write(decoded.get("claims")));
            if (expiresAt == null) {
                out.println("expiry: none (no exp claim: Berth refuses this token)");
            } else if (now.isAfter(expiresAt)) {
                out.println("expiry: EXPIRED at " + expiresAt + " (" + Durations.human(Duration.between(expiresAt, now)) + " ago)");
            } else {
                out.println("expiry: " + expiresAt + " (in " + Durations.human(Duration.between(now, expiresAt)) + ")");
            }
            out.println("signature: not verified (only the controller can verify it)");
            out.flush();
            return ExitCodes.OK;
        }
    }

    /** Token lifetimes: a number and s, m, h or d (tokens live for hours and days, unlike config timeouts). */
    static final class TtlConverter implements ITypeConverter<Duration> {
        private static final Pattern TTL = Pattern.compile("(\\d{1,9})([smhd])");

        @Override
        public Duration convert(String value) {
            Matcher m = TTL.matcher(value.strip().toLowerCase(Locale.ROOT));
            if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
                throw new TypeConversionException("'" + value + "' is not a lifetime; write it like 30m, 24h or 7d");
            }
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        }
    }
}
