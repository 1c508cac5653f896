/**
 * The graph IR: types, shapes, the sealed op hierarchy, nodes and immutable graphs, and the shape
 * rules that type every node while it is built.
 */
@NullMarked
package dev.adjoint.ir;

import org.jspecify.annotations.NullMarked;
