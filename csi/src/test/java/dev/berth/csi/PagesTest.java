package dev.berth.csi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class PagesTest {
    private static final List<String> IDS = List.of("0c", "a1", "03", "ff", "b2");

    @Test
    void everyPageSizeSeesEveryEntryOnceInIdOrder() {
        for (int max = 1; max <= 6; max++) {
            List<String> seen = new ArrayList<>();
            String token = "";
            int pages = 0;
            do {
                Pages.Page<String> p = Pages.of(IDS, Function.identity(), max, token);
                assertTrue(p.entries().size() <= max, p.toString());
                seen.addAll(p.entries());
                token = p.nextToken();
                pages++;
            } while (!token.isEmpty());
            assertEquals(List.of("03", "0c", "a1", "b2", "ff"), seen, "max " + max);
            assertEquals((IDS.size() + max - 1) / max, pages, "max " + max);
        }
        assertEquals(5, Pages.of(IDS, Function.identity(), 0, "").entries().size());
        assertEquals("", Pages.of(IDS, Function.identity(), 5, null).nextToken(), "a full last page has no next token");
    }

    @Test
    void aTokenOfAnEntryRemovedMeanwhileStillContinuesAfterIt() {
        String token = Pages.of(IDS, Function.identity(), 2, "").nextToken(); // after "0c"
        assertEquals(List.of("a1", "b2", "ff"), Pages.of(List.of("03", "a1", "b2", "ff"), Function.identity(), 0, token)
                .entries());
    }

    @Test
    void tokensOfAnotherFormAreAbortedAndANegativeMaxIsInvalid() {
        String notHex = "v1." + Base64.getUrlEncoder().withoutPadding().encodeToString("../x".getBytes(StandardCharsets.UTF_8));
        for (String bad : List.of("x", "v1.", "v1.!!!", "v2.YTE", notHex, "a1")) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> Pages.of(IDS, Function.identity(), 1, bad), bad);
            assertEquals(Status.Code.ABORTED, e.getStatus().getCode(), bad);
        }
        StatusRuntimeException neg = assertThrows(StatusRuntimeException.class, () -> Pages.of(IDS, Function.identity(), -1, ""));
        assertEquals(Status.Code.INVALID_ARGUMENT, neg.getStatus().getCode());
        assertEquals("a1", Pages.idOf(Pages.token("a1")));
    }
}
