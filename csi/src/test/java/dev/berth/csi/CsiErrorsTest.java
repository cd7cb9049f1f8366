package dev.berth.csi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.Aborted;
import dev.berth.core.error.AlreadyExists;
import dev.berth.core.error.AttachedElsewhere;
import dev.berth.core.error.BackendFailure;
import dev.berth.core.error.BerthException;
import dev.berth.core.error.Busy;
import dev.berth.core.error.Fenced;
import dev.berth.core.error.Forbidden;
import dev.berth.core.error.GuardRefused;
import dev.berth.core.error.InvalidArgument;
import dev.berth.core.error.NotFound;
import dev.berth.core.error.NotSupported;
import dev.berth.core.error.OutOfCapacity;
import dev.berth.core.error.Unauthenticated;
import dev.berth.core.error.Unavailable;
import dev.berth.csi.testing.LogCapture;
import io.grpc.Status;
import io.grpc.Status.Code;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;

class CsiErrorsTest {

    /** One of every kind, with the code the design table gives it (Identity/Controller calls). */
    private static final Map<BerthException, Code> TABLE = Map.ofEntries(
            Map.entry(new NotFound("volume v not found", "list volumes"), Code.NOT_FOUND),
            Map.entry(new AlreadyExists("volume v exists", "pick another name"), Code.ALREADY_EXISTS),
            Map.entry(new InvalidArgument("bad size", "give bytes"), Code.INVALID_ARGUMENT),
            Map.entry(new AttachedElsewhere("v", "node-b", Duration.ofSeconds(3)), Code.FAILED_PRECONDITION),
            Map.entry(new Busy("volume v is mounted", ""), Code.FAILED_PRECONDITION),
            Map.entry(new OutOfCapacity("pool full", "free space"), Code.RESOURCE_EXHAUSTED),
            Map.entry(new BackendFailure("mkfs failed", "see the log"), Code.INTERNAL),
            Map.entry(new Unauthenticated("no token", "log in"), Code.UNAUTHENTICATED),
            Map.entry(new Forbidden("not allowed", "ask an admin"), Code.PERMISSION_DENIED),
            Map.entry(new Unavailable("store down", "retry"), Code.UNAVAILABLE),
            Map.entry(new Fenced("v", "node-c", "volume v was taken over"), Code.FAILED_PRECONDITION),
            Map.entry(new GuardRefused("mmp guard refused", "wait"), Code.UNAVAILABLE),
            Map.entry(new Aborted("an operation on volume v is in progress", "retry"), Code.ABORTED),
            Map.entry(new NotSupported("snapshots not supported", ""), Code.INVALID_ARGUMENT));

    @Test
    void everyKindMapsToItsCodeWithTheFullMessage() {
        Set<Class<?>> kinds = new HashSet<>();
        TABLE.forEach((e, code) -> {
            StatusRuntimeException s = CsiErrors.of(e);
            assertEquals(code, s.getStatus().getCode(), e.getClass().getSimpleName());
            assertEquals(e.fullMessage(), s.getStatus().getDescription());
            assertTrue(s.getTrailers() == null || s.getTrailers().keys().isEmpty(), "no trailers beyond the status");
            kinds.add(e.getClass());
        });
        assertEquals(Set.of(BerthException.class.getPermittedSubclasses()), kinds, "the table covers every kind");
        assertTrue(CsiErrors.of(new AttachedElsewhere("v", "node-b", null)).getStatus().getDescription().contains("node-b"),
                "names the holder");
    }

    @Test
    void nodeCallsDifferOnlyForNotSupported() {
        TABLE.forEach((e, code) -> assertEquals(e instanceof NotSupported ? Code.FAILED_PRECONDITION : code,
                CsiErrors.ofNodeCall(e).getStatus().getCode(), e.getClass().getSimpleName()));
    }

    @Test
    void unknownExceptionsAreInternalWithClassAndMessageAndLogged() {
        try (LogCapture logs = new LogCapture(Level.WARNING)) {
            StatusRuntimeException s = CsiErrors.of(new IllegalStateException("oops"));
            assertEquals(Code.INTERNAL, s.getStatus().getCode());
            assertEquals("java.lang.IllegalStateException: oops", s.getStatus().getDescription());
            assertEquals("java.lang.NullPointerException", CsiErrors.of(new NullPointerException()).getStatus().getDescription());
            assertTrue(logs.records().stream().anyMatch(r -> r.getLevel() == Level.WARNING
                    && r.getThrown() instanceof IllegalStateException), "logged with the stack");
        }
    }

    @Test
    void statusesPassAndWrappersUnwrap() {
        StatusRuntimeException given = Status.NOT_FOUND.withDescription("x").asRuntimeException();
        assertSame(given, CsiErrors.of(given));
        assertEquals(Code.ABORTED, CsiErrors.of(new CompletionException(new Aborted("busy", ""))).getStatus().getCode());
        assertEquals(List.of(), List.of());
    }
}
