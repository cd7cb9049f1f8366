package dev.berth.app;

/** The version of this build, from the jar manifest (or "dev" when run from classes). */
public final class Version {
    private Version() {
    }

    public static String get() {
        String v = Version.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0-dev" : v;
    }

    /** What {@code berth version} prints. */
    public static String line() {
        return "berth " + get() + " (Java " + Runtime.version() + ")";
    }
}
