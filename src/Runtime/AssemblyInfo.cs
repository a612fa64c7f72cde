using System.Runtime.CompilerServices;

// Utilities that are not user API (AtomicFile, Xoshiro256, DeterministicMath) are internal; their tests reach them,
// and the Formats and Training tests reach TensorFile's write hook (simulating a crash midway through a write).
[assembly: InternalsVisibleTo("GanDsl.Runtime.Tests")]
// The metric tests draw their reference sets with Xoshiro256.
[assembly: InternalsVisibleTo("GanDsl.Evaluation.Tests")]
