using System.Runtime.CompilerServices;

// The Nn tests reach TensorFile's write hook (simulating a crash midway through a write).
[assembly: InternalsVisibleTo("GanDsl.Runtime.Tests")]
