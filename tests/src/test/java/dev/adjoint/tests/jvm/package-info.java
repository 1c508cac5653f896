/**
 * Tests of the JVM backend against the reference interpreter: differential fuzzing over random
 * graphs, gradients of compiled code against finite differences, concurrency and determinism,
 * feed validation, training steps.
 */
@NullMarked
package dev.adjoint.tests.jvm;

import org.jspecify.annotations.NullMarked;
