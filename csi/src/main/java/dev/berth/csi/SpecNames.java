package dev.berth.csi;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * Gives back their spec names to the fields that were renamed only so that protoc's Java generator
 * could compile them (see csi/pom.xml: {@code mutable_parameters} next to {@code parameters}
 * makes clashing builder methods). Called once, by the generated {@code csi.v1.Csi}, on the
 * serialized descriptor before it is built: the runtime descriptor, hence text output, reflection
 * and the request log's redaction, then carries the spec's names; the Java accessors keep the suffix.
 */
public final class SpecNames {
    /** Spec names whose Java copies carry {@code _<field number>}. */
    private static final Set<String> RENAMED = Set.of("mutable_parameters");

    private SpecNames() {
    }

    /** @param descriptorData the generated class's serialized FileDescriptorProto (ISO-8859-1 chunks) */
    public static String[] restore(String[] descriptorData) {
        byte[] bytes = String.join("", descriptorData).getBytes(StandardCharsets.ISO_8859_1);
        FileDescriptorProto file;
        try {
            file = FileDescriptorProto.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("generated csi descriptor does not parse", e);
        }
        FileDescriptorProto.Builder b = file.toBuilder();
        for (DescriptorProto.Builder message : b.getMessageTypeBuilderList()) {
            restore(message);
        }
        return new String[] {new String(b.build().toByteArray(), StandardCharsets.ISO_8859_1)};
    }

    private static void restore(DescriptorProto.Builder message) {
        for (FieldDescriptorProto.Builder field : message.getFieldBuilderList()) {
            String suffix = "_" + field.getNumber();
            String name = field.getName();
            if (!name.endsWith(suffix) || !RENAMED.contains(name.substring(0, name.length() - suffix.length()))) {
                continue;
            }
            String spec = name.substring(0, name.length() - suffix.length());
            field.setName(spec);
            if (field.hasJsonName()) {
                field.setJsonName(camel(spec, false));
            }
            // A map field's entry type is named after the field: <Name>Entry, nested in the message.
            String entry = camel(name, true) + "Entry";
            String specEntry = camel(spec, true) + "Entry";
            if (field.getTypeName().endsWith("." + entry)) {
                String type = field.getTypeName();
                field.setTypeName(type.substring(0, type.length() - entry.length()) + specEntry);
                for (DescriptorProto.Builder nested : message.getNestedTypeBuilderList()) {
                    if (nested.getName().equals(entry)) {
                        nested.setName(specEntry);
                    }
                }
            }
        }
        for (DescriptorProto.Builder nested : message.getNestedTypeBuilderList()) {
            restore(nested);
        }
    }

    /** protoc's camel case: underscores dropped, the next letter (and a digit's next) upper case. */
    private static String camel(String snake, boolean upperFirst) {
        StringBuilder out = new StringBuilder();
        boolean up = upperFirst;
        for (char c : snake.toCharArray()) {
            if (c == '_') {
                up = true;
            } else if (Character.isDigit(c)) {
                out.append(c);
                up = true;
            } else {
                out.append(up ? Character.toUpperCase(c) : c);
                up = false;
            }
        }
        return out.toString();
    }
}
