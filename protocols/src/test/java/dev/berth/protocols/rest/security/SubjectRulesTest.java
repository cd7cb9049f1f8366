package dev.berth.protocols.rest.security;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class SubjectRulesTest {
    @Test
    void globStarMatchesAnyRunOfCharacters() {
        assertTrue(SubjectRules.glob("*", ""));
        assertTrue(SubjectRules.glob("*", "anything"));
        assertTrue(SubjectRules.glob("ci-*", "ci-"));
        assertTrue(SubjectRules.glob("ci-*", "ci-runner-7"));
        assertTrue(SubjectRules.glob("*-bot", "deploy-bot"));
        assertTrue(SubjectRules.glob("a*b*c", "axxbyyc"));
        assertTrue(SubjectRules.glob("alice", "alice"));
        assertFalse(SubjectRules.glob("alice", "alice2"));
        assertFalse(SubjectRules.glob("ci-*", "xci-1"));
        assertFalse(SubjectRules.glob("a*b*c", "axxbyy"));
        assertFalse(SubjectRules.glob("a.c", "abc"), "only * is special");
        assertFalse(SubjectRules.glob("a?c", "abc"), "only * is special");
    }

    @Test
    void denyWinsAndEmptyAllowAllowsAll() {
        assertTrue(SubjectRules.ANY.permits("x"));
        var r = new SubjectRules(List.of("*"), List.of("bad-*"));
        assertTrue(r.permits("good"));
        assertFalse(r.permits("bad-1"));
        var onlyDeny = new SubjectRules(null, List.of("eve"));
        assertTrue(onlyDeny.permits("alice"));
        assertFalse(onlyDeny.permits("eve"));
        var onlyAllow = new SubjectRules(List.of("alice"), null);
        assertFalse(onlyAllow.permits("bob"));
    }
}
