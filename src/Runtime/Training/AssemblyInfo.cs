using System.Runtime.CompilerServices;

// The trainer's tests inject a failing stream into TensorFile's write (its internal test hook) to check
// that an interrupted checkpoint write leaves the previous checkpoint loadable.
[assembly: InternalsVisibleTo("GanDsl.Cli.Tests")]
