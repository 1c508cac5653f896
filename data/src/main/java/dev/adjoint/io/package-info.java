/**
 * Files that hold tensors: checkpoints in the safetensors format, read and written without a
 * dependency, and atomic writes shared by everything Adjoint saves. Readers validate every length
 * and offset against the file before they allocate, and report a corrupt file with the byte where
 * it goes wrong.
 */
@NullMarked
package dev.adjoint.io;

import org.jspecify.annotations.NullMarked;
