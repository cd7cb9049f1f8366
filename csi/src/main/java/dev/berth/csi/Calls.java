package dev.berth.csi;

import io.grpc.stub.StreamObserver;
import java.util.function.Function;
import java.util.function.Supplier;

/** A unary call's answer: the value, or the error mapped once to a gRPC status. */
final class Calls {
    private Calls() {
    }

    static <T> void answer(StreamObserver<T> out, Supplier<T> work) {
        answer(out, work, CsiErrors::of);
    }

    /** For the node service, whose "capability not supported" rows are FAILED_PRECONDITION. */
    static <T> void answerNode(StreamObserver<T> out, Supplier<T> work) {
        answer(out, work, CsiErrors::ofNodeCall);
    }

    private static <T> void answer(StreamObserver<T> out, Supplier<T> work,
                                   Function<Throwable, ? extends RuntimeException> map) {
        T value;
        try {
            value = work.get();
        } catch (io.grpc.StatusRuntimeException e) {
            out.onError(e);
            return;
        } catch (RuntimeException | Error e) {
            out.onError(map.apply(e));
            return;
        }
        out.onNext(value);
        out.onCompleted();
    }

    static io.grpc.StatusRuntimeException invalid(String message) {
        return io.grpc.Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }

    static io.grpc.StatusRuntimeException outOfRange(String message) {
        return io.grpc.Status.OUT_OF_RANGE.withDescription(message).asRuntimeException();
    }

    static String require(String value, String what) {
        if (value == null || value.isEmpty()) {
            throw invalid(what + " is missing");
        }
        return value;
    }
}
