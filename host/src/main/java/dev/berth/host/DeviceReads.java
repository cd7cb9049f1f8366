package dev.berth.host;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** Positioned reads from a device: a single read may return less than asked, so they loop. */
final class DeviceReads {
    private DeviceReads() {
    }

    /** Fills {@code buf} from {@code offset} on, or up to the end of the device; the caller flips it. */
    static void fill(FileChannel ch, ByteBuffer buf, long offset) throws IOException {
        long pos = offset;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                break;
            }
            pos += n;
        }
    }
}
