package dev.berth.bench;

import java.util.Arrays;

/** {@code bench/run NAME [args]}: runs one benchmark and prints its table. */
public final class BenchMain {
    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        String which = args.length == 0 ? "mount" : args[0];
        String[] rest = args.length == 0 ? new String[0] : Arrays.copyOfRange(args, 1, args.length);
        switch (which) {
            case "mount" -> MountBench.main(rest);
            case "docker" -> DockerBench.main(rest);
            default -> {
                System.err.println("unknown benchmark '" + which + "'; available: mount, docker");
                System.exit(2);
            }
        }
    }
}
