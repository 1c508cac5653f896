/**
 * The reference interpreter: evaluates a graph element by element straight from each op's
 * definition, in double precision. It is the oracle that every compiled path is tested against,
 * so it is kept obviously correct rather than fast.
 */
@NullMarked
package dev.adjoint.reference;

import org.jspecify.annotations.NullMarked;
