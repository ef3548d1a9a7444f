package org.ptrguard.identity;

import org.ptrguard.dns.DnsOutcome;

/** The address lookup of one name (a PTR name being forward-confirmed). */
record NameAnswer(String name, DnsOutcome outcome) {}
