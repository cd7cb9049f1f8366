package dev.berth.csi;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.MessageOrBuilder;
import csi.v1.Csi;
import dev.berth.core.log.RequestIds;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The CSI request log. Every call gets a request id ({@code c-} and 8 hex digits), bound with
 * {@link RequestIds} around every callback of the call, so the service code, the host commands it
 * runs and every line they log carry it. One INFO line per call when it ends: method, id, the
 * request's volume id, name, node id and paths when set, status code, milliseconds. At FINE, the
 * request itself, with every field marked {@code csi_secret} (at any depth, maps included) printed
 * as {@code ***}; unknown fields are not printed at all (a newer spec's secret could be one).
 * Values are escaped, so nothing from the wire starts a new log line.
 *
 * <p>An exception a service lets escape is answered through {@link CsiErrors} (Node calls with
 * {@link CsiErrors#ofNodeCall}) instead of grpc's bare UNKNOWN.
 */
public final class RequestLog implements ServerInterceptor {
    private static final Logger LOG = Logger.getLogger(RequestLog.class.getName());
    /** Request fields that say what a call is about; never secrets. */
    static final List<String> KEY_FIELDS = List.of("volume_id", "name", "node_id", "staging_target_path",
            "target_path", "volume_path", "source_volume_id", "snapshot_id");
    private static final String NODE_SERVICE = "csi.v1.Node";

    private final int base = new SecureRandom().nextInt();
    private final AtomicInteger counter = new AtomicInteger();

    String nextId() {
        return String.format("c-%08x", base + counter.getAndIncrement());
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        Logged<Q, R> logged = new Logged<>(call, nextId());
        ServerCall.Listener<Q>[] started = newListenerArray();
        logged.guard(() -> started[0] = next.startCall(logged, headers));
        ServerCall.Listener<Q> delegate = started[0] == null ? new ServerCall.Listener<>() { } : started[0];
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
            @Override
            public void onMessage(Q message) {
                logged.received(message);
                logged.guard(() -> super.onMessage(message));
            }

            @Override
            public void onHalfClose() {
                logged.guard(super::onHalfClose);
            }

            @Override
            public void onCancel() {
                RequestIds.run(logged.id, () -> {
                    try {
                        super.onCancel();
                    } finally {
                        logged.ended(Status.CANCELLED.withDescription("the client cancelled the call or went away"));
                    }
                });
            }

            @Override
            public void onComplete() {
                RequestIds.run(logged.id, super::onComplete);
            }

            @Override
            public void onReady() {
                RequestIds.run(logged.id, super::onReady);
            }
        };
    }

    @SuppressWarnings("unchecked")
    private static <Q> ServerCall.Listener<Q>[] newListenerArray() {
        return (ServerCall.Listener<Q>[]) new ServerCall.Listener<?>[1];
    }

    /** One call: its id, start, request, and whether its end was logged. */
    private static final class Logged<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {
        final String id;
        private final long started = System.nanoTime();
        private final String method;
        private volatile Object request;
        private boolean ended;

        Logged(ServerCall<Q, R> call, String id) {
            super(call);
            this.id = id;
            this.method = call.getMethodDescriptor().getFullMethodName();
        }

        void received(Object message) {
            if (request == null) {
                request = message;
            }
            if (LOG.isLoggable(Level.FINE) && message instanceof MessageOrBuilder m) {
                RequestIds.run(id, () -> LOG.fine(method + " " + id + " request " + redacted(m)));
            }
        }

        /** Runs a callback with the id bound; an escaping exception becomes the call's status. */
        void guard(Runnable callback) {
            RequestIds.run(id, () -> {
                try {
                    callback.run();
                } catch (RuntimeException e) {
                    StatusRuntimeException s = method.startsWith(NODE_SERVICE + "/") ? CsiErrors.ofNodeCall(e) : CsiErrors.of(e);
                    closeOnce(s.getStatus(), new Metadata());
                }
            });
        }

        @Override
        public void close(Status status, Metadata trailers) {
            closeOnce(status, trailers);
        }

        private void closeOnce(Status status, Metadata trailers) {
            synchronized (this) {
                if (ended) {
                    return;
                }
                ended = true;
            }
            // Logged before the answer leaves: a client that saw the answer finds the line written.
            log(status);
            super.close(status, trailers);
        }

        void ended(Status status) {
            synchronized (this) {
                if (ended) {
                    return;
                }
                ended = true;
            }
            log(status);
        }

        private void log(Status status) {
            long ms = (System.nanoTime() - started) / 1_000_000;
            StringBuilder line = new StringBuilder(method).append(' ').append(id);
            if (request instanceof MessageOrBuilder m) {
                keyFields(m, line);
            }
            line.append(" -> ").append(status.getCode()).append(' ').append(ms).append(" ms");
            if (status.getDescription() != null && !status.isOk()) {
                line.append(": ").append(dev.berth.core.log.LogText.quoted(status.getDescription()));
            }
            LOG.info(line.toString());
        }
    }

    private static void keyFields(MessageOrBuilder m, StringBuilder line) {
        for (String name : KEY_FIELDS) {
            FieldDescriptor f = m.getDescriptorForType().findFieldByName(name);
            if (f != null && !f.isRepeated() && f.getJavaType() == FieldDescriptor.JavaType.STRING && !secret(f)) {
                String value = (String) m.getField(f);
                if (!value.isEmpty()) {
                    line.append(' ').append(name).append("=\"").append(dev.berth.core.log.LogText.quoted(value)).append('"');
                }
            }
        }
    }

    /** The message as one line of text, secrets as {@code ***}. */
    static String redacted(MessageOrBuilder m) {
        StringBuilder out = new StringBuilder();
        print(m, out);
        return out.toString();
    }

    static boolean secret(FieldDescriptor f) {
        return f.getOptions().getExtension(Csi.csiSecret);
    }

    private static void print(MessageOrBuilder m, StringBuilder out) {
        out.append('{');
        boolean first = true;
        for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
            FieldDescriptor f = e.getKey();
            if (!first) {
                out.append(", ");
            }
            first = false;
            out.append(f.getName()).append(": ");
            if (secret(f)) {
                out.append("***");
            } else if (f.isMapField()) {
                printMap(f, (List<?>) e.getValue(), out);
            } else if (f.isRepeated()) {
                out.append('[');
                List<?> values = (List<?>) e.getValue();
                for (int i = 0; i < values.size(); i++) {
                    if (i > 0) {
                        out.append(", ");
                    }
                    value(f, values.get(i), out);
                }
                out.append(']');
            } else {
                value(f, e.getValue(), out);
            }
        }
        out.append('}');
    }

    private static void printMap(FieldDescriptor f, List<?> entries, StringBuilder out) {
        FieldDescriptor key = f.getMessageType().findFieldByNumber(1);
        FieldDescriptor val = f.getMessageType().findFieldByNumber(2);
        out.append('{');
        for (int i = 0; i < entries.size(); i++) {
            MessageOrBuilder entry = (MessageOrBuilder) entries.get(i);
            if (i > 0) {
                out.append(", ");
            }
            value(key, entry.getField(key), out);
            out.append(": ");
            value(val, entry.getField(val), out);
        }
        out.append('}');
    }

    private static void value(FieldDescriptor f, Object v, StringBuilder out) {
        switch (f.getJavaType()) {
            case MESSAGE -> print((MessageOrBuilder) v, out);
            case STRING -> out.append('"').append(dev.berth.core.log.LogText.quoted((String) v)).append('"');
            case BYTE_STRING -> out.append('<').append(((ByteString) v).size()).append(" bytes>");
            case ENUM -> out.append(((EnumValueDescriptor) v).getName());
            default -> out.append(v);
        }
    }
}
