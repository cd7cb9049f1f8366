package dev.berth.protocols.rest;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;

/**
 * A response body read into memory up to a limit: a server that is not Berth (a first-use TLS
 * connection can reach anyone) must not fill the client's heap. Must be called on the response's
 * context, before the first chunk arrives (as inside a compose on that context).
 */
final class BoundedBody {
    /** The marker failure; RestClient turns it into a BackendFailure that names the call. */
    static final class TooLarge extends RuntimeException {
        TooLarge(long limit) {
            super("the answer is larger than " + limit + " bytes", null, false, false);
        }
    }

    private BoundedBody() {
    }

    static Future<Buffer> of(HttpClientResponse resp, int limit) {
        String length = resp.getHeader("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.strip()) > limit) {
                    resp.request().connection().close();
                    return Future.failedFuture(new TooLarge(limit));
                }
            } catch (NumberFormatException ignored) {
                // the HTTP codec refuses a broken length itself
            }
        }
        Promise<Buffer> done = Promise.promise();
        Buffer all = Buffer.buffer();
        resp.exceptionHandler(done::tryFail);
        resp.handler(chunk -> {
            if (done.future().isComplete()) {
                return;
            }
            if ((long) all.length() + chunk.length() > limit) {
                done.tryFail(new TooLarge(limit));
                resp.request().connection().close();
            } else {
                all.appendBuffer(chunk);
            }
        });
        resp.endHandler(v -> done.tryComplete(all));
        return done.future();
    }
}
