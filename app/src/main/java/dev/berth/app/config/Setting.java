package dev.berth.app.config;

/** A resolved value and where it came from: "flag", "env BERTH_…", "file PATH" or "default". */
public record Setting(String key, String value, String source) {
}
