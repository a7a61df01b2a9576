package io.stickyring.chat.bus;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;

/** JSON wire form of {@link BusEvent}s for buses that leave the process (NATS). */
public final class BusEvents {
    private static final ObjectMapper JSON = new ObjectMapper();

    private BusEvents() {
    }

    public static byte[] encode(BusEvent e) {
        try {
            return JSON.writerFor(BusEvent.class).writeValueAsBytes(e);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    public static BusEvent decode(byte[] bytes) {
        try {
            return JSON.readValue(bytes, BusEvent.class);
        } catch (IOException ex) {
            throw new UncheckedIOException("undecodable bus event: " + ex.getMessage(), ex);
        }
    }
}
