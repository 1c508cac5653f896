/**
 * Training data: MNIST fetched on first use and cached, an IDX reader, datasets of labelled images
 * and seeded, reproducible mini-batches.
 */
@NullMarked
package dev.adjoint.data;

import org.jspecify.annotations.NullMarked;
