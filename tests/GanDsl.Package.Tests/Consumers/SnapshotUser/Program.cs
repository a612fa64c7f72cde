// README's recipe outside a test framework: run the generator on MyLoss.cs, check that the output compiles and
// compare every generated file with Snapshots/<hint>.verified.cs (MyLosses.MyLsGan.g.verified.cs).
// Exit 0: all match; 3: a snapshot is missing or differs (each one listed, received files written).
//   SnapshotUser PROJECT_FOLDER   (GANDSL_ACCEPT=1 accepts)
using GanDsl.Testing;

var project = args[0];
var run = GeneratorTestDriver.RunFile(Path.Combine(project, "MyLoss.cs"));
if (!run.Diagnostics.IsEmpty)
{
    Console.WriteLine(string.Join("\n", run.Diagnostics));
    return 2;
}
run.AssertCompiles();
try
{
    run.VerifySnapshots(Path.Combine(project, "Snapshots"));
}
catch (SnapshotMismatchException e)
{
    Console.WriteLine(e.Message);
    return 3;
}
Console.WriteLine($"{run.Files.Count} snapshot(s) match");
return 0;
