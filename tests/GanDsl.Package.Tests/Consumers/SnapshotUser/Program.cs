// README's recipe outside a test framework: run the generator on MyLoss.cs, check that the output compiles and
// compare it with Snapshots/MyLosses.<hint>.verified.cs. Exit 0: matches; 3: a snapshot differs (received written).
//   SnapshotUser PROJECT_FOLDER   (GANDSL_ACCEPT=1 accepts)
using GanDsl.Testing;

var project = args[0];
var run = GeneratorTestDriver.Run(File.ReadAllText(Path.Combine(project, "MyLoss.cs")));
if (!run.Diagnostics.IsEmpty)
{
    Console.WriteLine(string.Join("\n", run.Diagnostics));
    return 2;
}
run.AssertCompiles();
try
{
    foreach (var (hint, text) in run.Files)
        Snapshot.Verify(text, "MyLosses." + hint, directory: Path.Combine(project, "Snapshots"));
}
catch (SnapshotMismatchException e)
{
    Console.WriteLine(e.Message);
    return 3;
}
Console.WriteLine($"{run.Files.Count} snapshot(s) match");
return 0;
