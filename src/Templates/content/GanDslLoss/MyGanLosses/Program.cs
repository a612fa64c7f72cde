// Trains the loss on the 8-Gaussian ring with the built-in MLP networks: `dotnet run -- [steps]`.
// Outputs (samples.png, losses.png, metrics.csv, checkpoint.bin) go to runs/my-hinge-r1.
// The gan tool trains it too: gan train --assembly bin/Debug/net10.0/MyGanLosses.dll --loss my-hinge-r1 --data ring
using GanDsl.Models;
using GanDsl.Training;
using MyGanLosses;

var steps = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 300;
var output = args.Length > 1 ? args[1] : "runs/my-hinge-r1";
using var trainer = Trainer.Create(new HingeR1(), ModelFactory.Get("mlp"), new TrainOptions { Data = "ring", Steps = steps, OutputDirectory = output });
var result = trainer.Run(progress: ProgressReporter.Console());
Console.WriteLine($"{result.Outcome} after {result.Step} steps; outputs in {output}");
return result.Outcome == TrainOutcome.Completed ? 0 : 1;
