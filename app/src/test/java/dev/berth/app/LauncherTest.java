package dev.berth.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.host.ProcessRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * bin/berth and bin/lib/*.sh (finding a JDK >= 25 without a JVM start and caching it, the stale-jar
 * check, the AOT cache guard), tested on fake JDKs and a fake checkout by src/test/shell/launcher-test.sh.
 */
class LauncherTest {
    static final Path CHECKOUT = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent();

    @ParameterizedTest
    @ValueSource(strings = {
            "picks_newest_jdk_25_without_starting_java",
            "java_home_25_wins",
            "versions_read_from_release",
            "cache_is_used_and_invalidated",
            "no_jdk_says_what_to_install",
            "stale_when_a_main_source_resource_or_pom_changes",
            "not_stale_for_tests_bench_or_target",
            "stale_when_edited_during_the_build_or_no_jar",
            "launcher_runs_the_jar_with_the_aot_cache_only_when_it_fits",
            "launcher_rebuilds_after_an_edit"})
    void launcher(String testCase) {
        Path script = CHECKOUT.resolve("app/src/test/shell/launcher-test.sh");
        assertTrue(Files.exists(CHECKOUT.resolve("bin/berth")), "no checkout at " + CHECKOUT);
        // A failing case exits non-zero: ProcessRunner then throws with the script's FAIL line.
        var r = new ProcessRunner().run(List.of("bash", script.toString(), CHECKOUT.toString(), testCase), Duration.ofMinutes(2));
        assertEquals("ok: " + testCase, r.stdout().strip());
    }
}
