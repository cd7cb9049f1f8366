package dev.berth.app.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.app.config.Config;
import dev.berth.core.error.InvalidArgument;
import dev.berth.host.LinuxHostOps;
import dev.berth.host.SyscallMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** host.syscalls picks the host's path for loop devices and mounts; native unless told otherwise. */
class HostSyscallsConfigTest {
    @TempDir
    Path dir;

    private Config load(String yaml, Map<String, String> env, Map<String, String> flags) throws Exception {
        Path file = Files.writeString(dir.resolve("config.yml"), yaml);
        return Wiring.configLoader().load(file, env, flags);
    }

    @Test
    void nativeByDefaultToolsWhenConfigured() throws Exception {
        assertEquals(SyscallMode.NATIVE, ((LinuxHostOps) Wiring.hostOps(load("docker: {enabled: false}\n", Map.of(), Map.of()))).syscalls());
        assertEquals(SyscallMode.TOOLS, ((LinuxHostOps) Wiring.hostOps(load("host: {syscalls: tools}\n", Map.of(), Map.of()))).syscalls());
        assertEquals(SyscallMode.TOOLS, ((LinuxHostOps) Wiring.hostOps(load("{}\n", Map.of("BERTH_HOST_SYSCALLS", "tools"), Map.of())))
                .syscalls());
        assertEquals(SyscallMode.NATIVE, ((LinuxHostOps) Wiring.hostOps(load("host: {syscalls: tools}\n", Map.of(),
                Map.of("host.syscalls", "native")))).syscalls());
    }

    @Test
    void anUnknownModeIsRefusedWithTheChoices() throws Exception {
        // Refused when the configuration is loaded (berth env, berth serve), before anything is wired.
        InvalidArgument e = assertThrows(InvalidArgument.class, () -> load("host: {syscalls: ioctl}\n", Map.of(), Map.of()));
        assertEquals("host.syscalls 'ioctl' is not a mode", e.getMessage());
        assertTrue(e.hint().contains("native") && e.hint().contains("tools"), e.hint());
    }
}
