package dev.berth.bench;

import java.util.Arrays;

/** {@code bench/run [NAME] [args]}: runs one benchmark and prints its table (default: fast). */
public final class BenchMain {
    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        String which = args.length == 0 || args[0].startsWith("-") || args[0].matches("\\d+") ? "fast" : args[0];
        String[] rest = which.equals("fast") && (args.length == 0 || !args[0].equals("fast"))
                ? args : Arrays.copyOfRange(args, 1, args.length);
        switch (which) {
            case "fast" -> FastBench.main(rest);
            case "mount" -> {
                // The mount rows (and the listing rows) moved into `fast`, with bash baselines.
                System.err.println("bench: `mount` is now part of `fast`; running `fast " + String.join(" ", rest) + "`");
                FastBench.main(rest.length > 1 ? new String[] {rest[0]} : rest);
            }
            case "docker" -> DockerBench.main(rest);
            case "steps" -> MountSteps.main(rest);
            case "ha" -> HaBench.main(rest);
            case "csi" -> CsiBench.main(rest);
            case "snapshot" -> SnapshotBench.main(rest);
            default -> {
                System.err.println("unknown benchmark '" + which + "'; available: fast (default), docker, steps, ha, csi, snapshot");
                System.exit(2);
            }
        }
    }
}
