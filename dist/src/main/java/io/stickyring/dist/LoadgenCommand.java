package io.stickyring.dist;

import io.stickyring.cli.ConfigOption;

import io.stickyring.cli.DurationConverter;
import io.stickyring.chat.loadgen.LoadGenerator;
import io.stickyring.chat.loadgen.LoadgenConfig;
import io.stickyring.chat.loadgen.LoadgenResult;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code stickyring loadgen}: N simulated chat users, each with its own WebSocket (or HTTP long
 * polls, or the naive POST + polling GET) from its own 127.x.y.z address, through the LB. Prints a progress line per interval, then a table; writes
 * JSON with {@code --json}. Exit code 0 only if nothing was lost, duplicated or out of order.
 */
@Command(name = "loadgen", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Load generator: N chat users from many source IPs; latency percentiles and correctness totals.")
public final class LoadgenCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    ConfigOption config = new ConfigOption();

    @Option(names = "--url", defaultValue = "http://127.0.0.1:8080", description = "LB (or node) base URL (default: ${DEFAULT-VALUE})")
    String url;

    @Option(names = "--users", defaultValue = "100", description = "Simulated users, one WebSocket each (default: ${DEFAULT-VALUE})")
    int users;

    @Option(names = "--rate", defaultValue = "200", description = "Total sends per second over all users (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = "--size", defaultValue = "128", description = "Message body bytes (default: ${DEFAULT-VALUE}, min 48)")
    int size;

    @Option(names = "--shape", defaultValue = "direct", description = "direct (pairs) or group (default: ${DEFAULT-VALUE})")
    String shape;

    @Option(names = "--group-size", defaultValue = "5", description = "Members per group for --shape group (default: ${DEFAULT-VALUE})")
    int groupSize;

    @Option(names = "--duration", defaultValue = "30s", converter = DurationConverter.class,
            description = "How long to send (default: ${DEFAULT-VALUE})")
    Duration duration;

    @Option(names = "--warmup", defaultValue = "0s", converter = DurationConverter.class,
            description = "Latency of messages sent in this first part of --duration is not recorded (default: ${DEFAULT-VALUE})")
    Duration warmup;

    @Option(names = "--connect-timeout", defaultValue = "60s", converter = DurationConverter.class,
            description = "Wait this long for all users to connect (default: ${DEFAULT-VALUE})")
    Duration connectTimeout;

    @Option(names = "--drain-timeout", defaultValue = "60s", converter = DurationConverter.class,
            description = "After sending: wait this long for acks and deliveries (default: ${DEFAULT-VALUE})")
    Duration drainTimeout;

    @Option(names = "--ip-base", defaultValue = "1", description = "Users connect from 127.<ip-base>.x.y (default: ${DEFAULT-VALUE})")
    int ipBase;

    @Option(names = "--threads", defaultValue = "0", description = "Client event loops (0 = 2 x cores)")
    int threads;

    @Option(names = "--prefix", description = "User id prefix (default: lg<random>, so each run starts with empty inboxes)")
    String prefix;

    @Option(names = "--progress", defaultValue = "5s", converter = DurationConverter.class,
            description = "Progress line interval (default: ${DEFAULT-VALUE})")
    Duration progressEvery;

    @Option(names = "--colocate-admin", paramLabel = "URL",
            description = "LB admin URL: pick source IPs so each conversation's members hash to one node"
                    + " (for nodes without a shared bus)")
    String colocateAdmin;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the result as JSON to FILE")
    Path json;

    @Option(names = "--transport", defaultValue = "ws",
            description = "ws (WebSocket), longpoll (GET that waits for a message) or poll (POST per send, GET every"
                    + " --poll-interval: the naive baseline) (default: ${DEFAULT-VALUE})")
    String transport;

    @Option(names = "--poll-interval", defaultValue = "1s", converter = DurationConverter.class,
            description = "Interval between polls for --transport poll (default: ${DEFAULT-VALUE})")
    Duration pollInterval;

    @Option(names = "--poll-wait", defaultValue = "20s", converter = DurationConverter.class,
            description = "Longest wait of one long poll, whole seconds (default: ${DEFAULT-VALUE})")
    Duration pollWait;

    @Option(names = "--keepalive", defaultValue = "on",
            description = "HTTP keep-alive for longpoll and poll: on, or off = a new TCP connection per request (default: ${DEFAULT-VALUE})")
    String keepAlive;

    @Option(names = "--secret-file", paramLabel = "FILE", description = "Mint each user's HS256 JWT with the cluster's secret from FILE (default: dev login, POST /api/login)")
    Path secretFile;

    @Option(names = "--token-audience", paramLabel = "AUD", description = "'aud' of minted tokens (with --secret-file)")
    String tokenAudience;

    @Option(names = "--token-issuer", paramLabel = "ISS", description = "'iss' of minted tokens (with --secret-file)")
    String tokenIssuer;

    @Override
    public Integer call() throws Exception {
        LoadgenCommand self = config.resolve(LoadgenCommand::new);
        if (self != this) {
            return self.call();
        }
        LoadgenConfig cfg;
        try {
            LoadgenConfig.Shape s = switch (shape.toLowerCase(Locale.ROOT)) {
                case "direct" -> LoadgenConfig.Shape.DIRECT;
                case "group" -> LoadgenConfig.Shape.GROUP;
                default -> throw new IllegalArgumentException("shape (" + shape + ") must be direct or group");
            };
            LoadgenConfig.Transport mode = switch (transport.toLowerCase(Locale.ROOT)) {
                case "ws" -> LoadgenConfig.Transport.WS;
                case "longpoll" -> LoadgenConfig.Transport.LONGPOLL;
                case "poll" -> LoadgenConfig.Transport.POLL;
                default -> throw new IllegalArgumentException("--transport (" + transport + ") must be ws, longpoll or poll");
            };
            boolean ka = switch (keepAlive.toLowerCase(Locale.ROOT)) {
                case "on" -> true;
                case "off" -> false;
                default -> throw new IllegalArgumentException("--keepalive (" + keepAlive + ") must be on or off");
            };
            LoadgenConfig.TransportSpec ts = new LoadgenConfig.TransportSpec(mode, pollInterval, pollWait, ka);
            String p = prefix != null ? prefix : "lg" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20, 1 << 25), 36);
            cfg = new LoadgenConfig(URI.create(url), users, rate, size, s, groupSize, duration, connectTimeout, drainTimeout,
                    ipBase, threads, p, progressEvery,
                    colocateAdmin == null ? null : URI.create(colocateAdmin), warmup, ts);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        LoadGenerator.requireReachable(cfg.url(), cfg.connectTimeout());
        java.util.function.Function<String, String> tokens = null;
        if (secretFile != null) {
            io.stickyring.chat.auth.TokenMinter minter;
            try {
                minter = io.stickyring.chat.auth.TokenMinter.hs256(
                        Files.readString(secretFile).trim().getBytes(StandardCharsets.UTF_8), java.time.Clock.systemUTC());
            } catch (java.io.IOException | IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--secret-file (" + secretFile + "): " + e.getMessage());
            }
            java.time.Duration ttl = cfg.duration().plus(cfg.connectTimeout()).plus(cfg.drainTimeout()).plusHours(1);
            tokens = user -> minter.mint(user, ttl, tokenAudience, tokenIssuer);
        }
        LoadgenResult r = new LoadGenerator(cfg, System.err, tokens).run();
        System.out.print(r.toTable());
        if (json != null) {
            Files.writeString(json, r.toJson(), StandardCharsets.UTF_8);
            System.out.println("JSON written to " + json);
        }
        return r.correct() ? 0 : 1;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new LoadgenCommand()).execute(args));
    }
}
