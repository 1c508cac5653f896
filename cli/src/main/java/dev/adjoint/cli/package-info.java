/**
 * The {@code adjoint} command line: {@link dev.adjoint.cli.Main} dispatches on the first argument
 * to a subcommand such as {@link dev.adjoint.cli.Demo}.
 */
@NullMarked
package dev.adjoint.cli;

import org.jspecify.annotations.NullMarked;
