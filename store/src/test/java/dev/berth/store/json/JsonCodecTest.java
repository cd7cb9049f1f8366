package dev.berth.store.json;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.core.error.BackendFailure;
import dev.berth.core.model.Claim;
import dev.berth.core.model.FsType;
import dev.berth.core.model.Volume;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonCodecTest {
    private final JsonCodec codec = new JsonCodec();

    record Sample(String name, long count, Instant at, List<String> tags, Duration ttl) {
    }

    @Test
    void roundTripsACoreRecordWithInstantAsIsoText() {
        Claim claim = new Claim("v-1", "node-a", 3, true, Instant.parse("2025-01-02T03:04:05.123456789Z"));
        byte[] json = codec.encode(claim);
        String text = new String(json, UTF_8);
        assertTrue(text.contains("\"since\":\"2025-01-02T03:04:05.123456789Z\""), text);
        assertEquals(claim, codec.decode(json, Claim.class));
    }

    @Test
    void roundTripsAVolumeWithLabels() {
        Volume volume = new Volume("id-1", "data", "docker", "loop", "id-1.img", 1L << 30, FsType.XFS,
                Map.of("team", "storage", "env", "prod"), Instant.parse("2025-06-01T00:00:00Z"), "xfs");
        assertEquals(volume, codec.decode(codec.encode(volume), Volume.class));
    }

    @Test
    void sameValueGivesSameBytesWhateverTheMapOrder() {
        Map<String, String> one = new LinkedHashMap<>();
        one.put("b", "2");
        one.put("a", "1");
        Map<String, String> two = new LinkedHashMap<>();
        two.put("a", "1");
        two.put("b", "2");
        assertArrayEquals(codec.encode(one), codec.encode(two));
        assertEquals("{\"a\":\"1\",\"b\":\"2\"}", new String(codec.encode(Map.of("b", "2", "a", "1")), UTF_8));
    }

    @Test
    void durationsAreIsoTextToo() {
        Sample sample = new Sample("s", 1, Instant.EPOCH, List.of("x"), Duration.ofSeconds(5));
        String text = new String(codec.encode(sample), UTF_8);
        assertTrue(text.contains("\"ttl\":\"PT5S\""), text);
        assertEquals(sample, codec.decode(text.getBytes(UTF_8), Sample.class));
    }

    @Test
    void unknownPropertiesAreIgnoredSoFieldsCanBeAddedLater() {
        String newer = """
                {"volumeId":"v-1","node":"node-a","epoch":2,"explicit":false,"since":"2025-01-01T00:00:00Z",
                 "mode":"rw","fencedBy":{"driver":"rbd"}}""";
        Claim claim = codec.decode(newer.getBytes(UTF_8), Claim.class);
        assertEquals(new Claim("v-1", "node-a", 2, false, Instant.parse("2025-01-01T00:00:00Z")), claim);
    }

    @Test
    void missingPropertiesBecomeNullOrZeroSoOldDataStillReads() {
        Sample sample = codec.decode("{\"name\":\"old\"}".getBytes(UTF_8), Sample.class);
        assertEquals("old", sample.name());
        assertEquals(0, sample.count());
        assertNull(sample.at());
        assertNull(sample.tags());
    }

    @Test
    void nullsRoundTrip() {
        Sample sample = new Sample(null, 7, null, null, null);
        assertEquals(sample, codec.decode(codec.encode(sample), Sample.class));
    }

    @Test
    void garbageIsABackendFailureNamingTheType() {
        BackendFailure e = assertThrows(BackendFailure.class, () -> codec.decode("not json".getBytes(UTF_8), Claim.class));
        assertTrue(e.getMessage().contains("Claim"), e.getMessage());
        assertTrue(e.getMessage().contains("not json"), e.getMessage());
    }

    @Test
    void wrongShapeIsABackendFailureNamingTheType() {
        BackendFailure e = assertThrows(BackendFailure.class,
                () -> codec.decode("{\"name\":\"x\",\"count\":\"many\"}".getBytes(UTF_8), Sample.class));
        assertTrue(e.getMessage().startsWith("stored Sample cannot be decoded"), e.getMessage());
    }

    @Test
    void valueTheRecordRejectsIsABackendFailure() {
        // Claim's constructor refuses epoch 0; the codec must not leak IllegalArgumentException.
        String bad = "{\"volumeId\":\"v-1\",\"node\":\"node-a\",\"epoch\":0,\"since\":\"2025-01-01T00:00:00Z\"}";
        BackendFailure e = assertThrows(BackendFailure.class, () -> codec.decode(bad.getBytes(UTF_8), Claim.class));
        assertTrue(e.getMessage().contains("Claim"), e.getMessage());
    }

    @Test
    void emptyOrNullStoredValueIsABackendFailure() {
        assertThrows(BackendFailure.class, () -> codec.decode(new byte[0], Claim.class));
        assertThrows(BackendFailure.class, () -> codec.decode(null, Claim.class));
        BackendFailure jsonNull = assertThrows(BackendFailure.class, () -> codec.decode("null".getBytes(UTF_8), Claim.class));
        assertEquals("stored Claim cannot be decoded: the stored value is JSON null", jsonNull.getMessage());
        assertThrows(BackendFailure.class, () -> codec.decode("{} trailing".getBytes(UTF_8), Sample.class));
    }
}
