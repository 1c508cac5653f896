/**
 * The OpInfo table, modelled on PyTorch's: one {@link dev.adjoint.tests.opinfo.OpInfo} row per op
 * (and per member of the op enum families), holding sample operand types, input domains, an
 * independent reference implementation and error inputs; the tests of this package are generated
 * from the rows.
 */
@NullMarked
package dev.adjoint.tests.opinfo;

import org.jspecify.annotations.NullMarked;
