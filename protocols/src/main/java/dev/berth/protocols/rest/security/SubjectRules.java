package dev.berth.protocols.rest.security;

import java.util.List;

/**
 * Allow and deny lists of token subjects. Entries are exact subjects or globs where {@code *}
 * matches any run of characters ({@code ci-*}, {@code *}). Deny wins over allow; an empty allow list
 * allows every subject that is not denied.
 */
public record SubjectRules(List<String> allow, List<String> deny) {
    public static final SubjectRules ANY = new SubjectRules(List.of(), List.of());

    public SubjectRules {
        allow = allow == null ? List.of() : List.copyOf(allow);
        deny = deny == null ? List.of() : List.copyOf(deny);
    }

    public boolean denies(String subject) {
        return matchesAny(deny, subject);
    }

    /** True when an allow list exists and no entry matches. */
    public boolean doesNotAllow(String subject) {
        return !allow.isEmpty() && !matchesAny(allow, subject);
    }

    public boolean permits(String subject) {
        return !denies(subject) && !doesNotAllow(subject);
    }

    private static boolean matchesAny(List<String> patterns, String subject) {
        for (String p : patterns) {
            if (glob(p, subject)) {
                return true;
            }
        }
        return false;
    }

    /** '*' matches any sequence (also empty); every other character matches itself. Linear time. */
    static boolean glob(String pattern, String text) {
        int p = 0;
        int t = 0;
        int star = -1;
        int mark = 0;
        while (t < text.length()) {
            if (p < pattern.length() && pattern.charAt(p) != '*' && pattern.charAt(p) == text.charAt(t)) {
                p++;
                t++;
            } else if (p < pattern.length() && pattern.charAt(p) == '*') {
                star = p++;
                mark = t;
            } else if (star >= 0) {
                p = star + 1;
                t = ++mark;
            } else {
                return false;
            }
        }
        while (p < pattern.length() && pattern.charAt(p) == '*') {
            p++;
        }
        return p == pattern.length();
    }
}
