package io.stickyring.chat.store;

/**
 * The store could not make a write durable (I/O error, database down, store closing). Nothing was
 * acknowledged; the client may retry with the same id and will get exactly one stored message.
 */
public final class StoreUnavailableException extends RuntimeException {
    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
