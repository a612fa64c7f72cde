using System.Diagnostics;
using System.Globalization;
using GanDsl;
using GanDsl.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

// Issue 12 item 3: the optimizer's cost on the parameter sets of the four workloads, TorchSharp 0.107's
// torch.optim (one group of ~6 tensor ops per parameter tensor, each a P/Invoke and a dispatch) against
// a multi-tensor update written here: every parameter's data and gradient are views into one flat buffer
// each (Tensor.set_ and the grad setter), so one step is the same op sequence run once on the whole
// buffer. The flat update repeats TorchSharp 0.107's Adam.step / RMSProp.step (src/TorchSharp/Optimizers,
// tag 0.107.0) op for op:
//   Adam:    exp_avg.mul_(b1).add_(g, alpha: 1-b1); exp_avg_sq.mul_(b2).addcmul_(g, g, value: 1-b2);
//            denom = (exp_avg_sq.sqrt() / sqrt(bc2)).add_(eps); p.addcdiv_(exp_avg, denom, value: -lr/bc1)
//   RMSprop: square_avg.mul_(a).addcmul_(g, g, value: 1-a); avg = square_avg.sqrt().add_(eps); p.addcdiv_(g, avg, -lr)
// (not PyTorch's lerp_ form: TorchSharp's Adam does mul_+add_, and bit-compatibility is with what the runtime runs).
//
//   GanDsl.Benchmarks --optimizer [--threads N] [--steps N] [--rounds R] [--check-steps N] [--iteration-times [--warmup N] [--iterations N]]
//
// Prints, per parameter set and optimizer: µs per step() and per zero_grad() for torch.optim and for the
// flat update, their ratio, and the bit-compatibility check (after --check-steps steps on the same random
// gradients: max |difference| of parameters and of every state tensor, and whether they are bit-identical).
// Then per workload the optimizer's µs per training iteration as the trainer calls it (zero_grad of both
// optimizers at every step, step() of the stepped network) for both, and with --iteration-times the
// median iteration of the workload (GanDsl's trainer, this program's --workload) and the fraction of it.
static class OptimizerBench
{
    sealed record ParamSet(string Name, string Family, NetworkInfo Network, long[] SampleShape);

    sealed record OptimizerSpec(string Name, string Kind, double Lr, double Beta1, double Beta2, double Alpha);

    static readonly ParamSet[] Sets =
    [
        new("ring_mlp_G", "mlp", new NetworkInfo("G", NetworkRole.Generator, NetworkOutput.Sample), [2]),
        new("ring_mlp_D", "mlp", new NetworkInfo("D", NetworkRole.Critic, NetworkOutput.Score), [2]),
        new("dcgan28_G", "dcgan28", new NetworkInfo("G", NetworkRole.Generator, NetworkOutput.Sample), [1, 28, 28]),
        new("dcgan28_D", "dcgan28", new NetworkInfo("D", NetworkRole.Critic, NetworkOutput.Score), [1, 28, 28]),
    ];

    // The zoo's optimizers: nonsaturating Adam(2e-4, 0.5, 0.999), wgan-gp Adam(1e-4, 0.5, 0.9), wgan RMSprop(5e-5) (alpha 0.99).
    static readonly OptimizerSpec[] Optimizers =
    [
        new("adam_ns", "adam", 2e-4, 0.5, 0.999, 0),
        new("adam_wgangp", "adam", 1e-4, 0.5, 0.9, 0),
        new("rmsprop_wgan", "rmsprop", 5e-5, 0, 0, 0.99),
    ];

    public static int Run(int threads, string[] args)
    {
        int steps = 300, rounds = 7, checkSteps = 100;
        var iterationTimes = false;
        int? warmup = null, iterations = null;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--steps": steps = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--rounds": rounds = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--check-steps": checkSteps = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--iteration-times": iterationTimes = true; break;
                case "--warmup": warmup = int.Parse(Value(), CultureInfo.InvariantCulture); break;       // of --iteration-times
                case "--iterations": iterations = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--threads": Value(); break;   // read by Program
                case "--optimizer": break;
                default: Console.Error.WriteLine($"unknown argument '{args[i]}' for --optimizer"); return 2;
            }
        }

        Console.WriteLine($"# optimizer step: torch.optim (TorchSharp {typeof(torch).Assembly.GetName().Version}, libtorch {torch.__version__}) vs one flat buffer; " +
                          $"threads {torch.get_num_threads()}, {steps} steps x {rounds} rounds (fastest round), check over {checkSteps} steps");
        Console.WriteLine(Row("param_set", "optimizer", "tensors", "elements", "optim_step_us", "flat_step_us", "flat/optim",
            "optim_zero_us", "flat_zero_us", "max|dp|", "max|dstate|", "bit_identical"));
        TimeTorchOptim(Sets[0], Optimizers[0], steps, 1);   // untimed: first-touch page faults, JIT, libtorch's lazy init
        TimeFlat(Sets[0], Optimizers[0], steps, 1);
        var cost = new Dictionary<(string Set, string Opt), (double OptimStep, double FlatStep, double OptimZero, double FlatZero)>();
        var allIdentical = true;
        foreach (var set in Sets)
            foreach (var spec in Optimizers)
            {
                var (tensors, elements, optimStep, optimZero) = TimeTorchOptim(set, spec, steps, rounds);
                var (flatStep, flatZero) = TimeFlat(set, spec, steps, rounds);
                var (dp, dstate, identical) = Check(set, spec, checkSteps);
                allIdentical &= identical;
                cost[(set.Name, spec.Name)] = (optimStep, flatStep, optimZero, flatZero);
                Console.WriteLine(Row(set.Name, spec.Name, tensors.ToString(CultureInfo.InvariantCulture), elements.ToString(CultureInfo.InvariantCulture),
                    F(optimStep), F(flatStep), F(flatStep / optimStep, "F2"), F(optimZero), F(flatZero), F(dp, "G3"), F(dstate, "G3"), identical ? "yes" : "NO"));
            }

        // Per training iteration, as Trainer.RunStep calls the optimizers: at every (critic or generator) step
        // zero_grad() of both networks' optimizers, then step() of the stepped network's optimizer.
        Console.WriteLine();
        Console.WriteLine(Row("workload", "optimizer", "steps/iter", "optim_us/iter", "flat_us/iter", "saved_us/iter",
            iterationTimes ? "iter_ms" : "", iterationTimes ? "optim%iter" : "", iterationTimes ? "flat%iter" : "", iterationTimes ? "saved%iter" : ""));
        foreach (var (workload, prefix, spec, criticSteps) in new[]
                 {
                     ("ring_mlp_ns", "ring_mlp", "adam_ns", 1), ("ring_mlp_wgangp", "ring_mlp", "adam_wgangp", 5),
                     ("fmnist_dcgan28_ns", "dcgan28", "adam_ns", 1), ("fmnist_dcgan28_wgangp", "dcgan28", "adam_wgangp", 5),
                 })
        {
            var g = cost[(prefix + "_G", spec)];
            var d = cost[(prefix + "_D", spec)];
            var stepsPerIteration = criticSteps + 1;
            var optim = stepsPerIteration * (g.OptimZero + d.OptimZero) + criticSteps * d.OptimStep + g.OptimStep;
            var flat = stepsPerIteration * (g.FlatZero + d.FlatZero) + criticSteps * d.FlatStep + g.FlatStep;
            string a = "", b = "", c = "", e = "";
            if (iterationTimes)
            {
                var iteration = (double)Workloads.Run(workload, warmup, iterations, threads, separate: false)["median_ms"] * 1000;
                a = F(iteration / 1000, "F1");
                b = F(100 * optim / iteration, "F2");
                c = F(100 * flat / iteration, "F2");
                e = F(100 * (optim - flat) / iteration, "F2");
            }
            Console.WriteLine(Row(workload, spec, stepsPerIteration.ToString(CultureInfo.InvariantCulture), F(optim), F(flat), F(optim - flat), a, b, c, e));
        }
        Console.WriteLine($"# bit-identical to torch.optim on every set: {(allIdentical ? "yes" : "no")}");
        return 0;
    }

    static string F(double v, string format = "F1") => v.ToString(format, CultureInfo.InvariantCulture);

    static string Row(params string[] cells) => string.Join(" ", cells.Select((c, i) => i < 2 ? c.PadRight(i == 0 ? 22 : 13) : c.PadLeft(13))).TrimEnd();

    static nn.Module<Tensor, Tensor> Build(ParamSet set, long seed)
    {
        torch.manual_seed(seed);
        return ModelFactory.Get(set.Family).Build(set.Network, set.SampleShape);
    }

    static FlatOptimizer Flat(OptimizerSpec spec, Parameter[] parameters) =>
        new(spec.Kind == "rmsprop", spec.Lr, spec.Beta1, spec.Beta2, spec.Alpha, parameters);

    static optim.Optimizer TorchOptim(OptimizerSpec spec, IEnumerable<Parameter> parameters) => spec.Kind == "rmsprop"
        ? optim.RMSProp(parameters, spec.Lr, alpha: spec.Alpha)
        : optim.Adam(parameters, spec.Lr, spec.Beta1, spec.Beta2);

    /// <summary>torch.optim on the network's own parameter tensors, each with a (fixed) random gradient.</summary>
    static (int Tensors, long Elements, double StepUs, double ZeroUs) TimeTorchOptim(ParamSet set, OptimizerSpec spec, int steps, int rounds)
    {
        using var net = Build(set, 0);
        var parameters = net.parameters().ToArray();
        using var generator = new torch.Generator(1);
        using (torch.no_grad())
            foreach (var p in parameters) p.grad = torch.randn(p.shape, generator: generator);
        using var optimizer = TorchOptim(spec, parameters);
        var step = Measure(steps, rounds, () => optimizer.step());
        var zero = Measure(steps, rounds, () => optimizer.zero_grad());
        return (parameters.Length, parameters.Sum(p => p.numel()), step, zero);
    }

    static (double StepUs, double ZeroUs) TimeFlat(ParamSet set, OptimizerSpec spec, int steps, int rounds)
    {
        using var net = Build(set, 0);
        using var flat = Flat(spec, net.parameters().ToArray());
        using var generator = new torch.Generator(1);
        using (torch.no_grad()) flat.Gradient.copy_(torch.randn(flat.Gradient.shape, generator: generator));
        var step = Measure(steps, rounds, flat.Step);
        var zero = Measure(steps, rounds, flat.ZeroGrad);
        return (step, zero);
    }

    /// <summary>
    /// Two copies of the network from the same seed; torch.optim on one, the flat update on the other, the same
    /// random gradient on both at every step. Max |difference| of parameters and of every state tensor, and
    /// whether all of them (and the step count) are bit-identical.
    /// </summary>
    static (double Param, double State, bool Identical) Check(ParamSet set, OptimizerSpec spec, int checkSteps)
    {
        using var scope = torch.NewDisposeScope();
        using var a = Build(set, 7);
        using var b = Build(set, 7);
        var pa = a.parameters().ToArray();
        using var optimizer = TorchOptim(spec, pa);
        using var flat = Flat(spec, b.parameters().ToArray());
        using var generator = new torch.Generator(11);
        using (torch.no_grad())
        {
            foreach (var p in pa) p.grad = torch.zeros_like(p);
            for (var t = 0; t < checkSteps; t++)
            {
                // Gradients of growing and shrinking size (scale varies over five decades), as in training.
                var g = torch.randn(flat.Gradient.shape, generator: generator) * Math.Pow(10, (t % 5) - 3);
                long offset = 0;
                foreach (var p in pa)
                {
                    p.grad!.copy_(g.narrow(0, offset, p.numel()).view(p.shape));
                    offset += p.numel();
                }
                flat.Gradient.copy_(g);
                optimizer.step();
                flat.Step();
            }
        }
        var paramsA = torch.cat(pa.Select(p => p.detach().flatten()).ToArray());
        var states = ((OptimizerHelper)optimizer).state_dict().State;
        var (stateA, stepsA) = spec.Kind == "rmsprop"
            ? ([torch.cat(states.Select(s => ((RMSProp.State)s).square_avg.flatten()).ToArray())], states.Select(s => ((RMSProp.State)s).step).ToArray())
            : (new[]
            {
                torch.cat(states.Select(s => ((Adam.State)s).exp_avg.flatten()).ToArray()),
                torch.cat(states.Select(s => ((Adam.State)s).exp_avg_sq.flatten()).ToArray()),
            }, states.Select(s => ((Adam.State)s).step).ToArray());
        var stateB = flat.State;
        double MaxAbs(Tensor x, Tensor y) => (x - y).abs().max().item<float>();
        bool Same(Tensor x, Tensor y) => x.eq(y).all().item<bool>();
        var dp = MaxAbs(paramsA, flat.Parameter);
        var ds = stateA.Zip(stateB).Max(s => MaxAbs(s.First, s.Second));
        var identical = Same(paramsA, flat.Parameter) && stateA.Zip(stateB).All(s => Same(s.First, s.Second)) && stepsA.All(s => s == flat.StepCount);
        return (dp, ds, identical);
    }

    static double Measure(int iterations, int rounds, Action body)
    {
        for (var i = 0; i < Math.Max(10, iterations / 5); i++) body();
        var best = double.MaxValue;
        for (var r = 0; r < rounds; r++)
        {
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < iterations; i++) body();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalMicroseconds / iterations);
        }
        return best;
    }
}

/// <summary>
/// Adam or RMSprop on one flat buffer: the parameters' data and gradients become views into
/// <see cref="Parameter"/> and <see cref="Gradient"/> (so autograd accumulates into the flat gradient, since
/// zero_grad zeroes it in place), and one step is TorchSharp 0.107's per-tensor op sequence run once.
/// </summary>
sealed class FlatOptimizer : IDisposable
{
    private readonly bool _rmsprop;
    private readonly double _lr, _beta1, _beta2, _alpha, _eps = 1e-8;
    private readonly Tensor _state1, _state2;

    public Tensor Parameter { get; }
    public Tensor Gradient { get; }
    public long StepCount { get; private set; }

    /// <summary>Adam: exp_avg, exp_avg_sq; RMSprop: square_avg.</summary>
    public Tensor[] State => _rmsprop ? [_state1] : [_state1, _state2];

    public FlatOptimizer(bool rmsprop, double lr, double beta1, double beta2, double alpha, Parameter[] parameters)
    {
        _rmsprop = rmsprop;
        _lr = lr; _beta1 = beta1; _beta2 = beta2; _alpha = alpha;
        var total = parameters.Sum(p => p.numel());
        var dtype = parameters[0].dtype;
        var device = parameters[0].device;
        Parameter = torch.zeros(total, dtype, device);
        Gradient = torch.zeros(total, dtype, device);
        using (torch.no_grad())
        {
            long offset = 0;
            foreach (var p in parameters)
            {
                var n = p.numel();
                using var data = Parameter.narrow(0, offset, n).view(p.shape);
                data.copy_(p);
                p.set_(data);
                p.grad = Gradient.narrow(0, offset, n).view(p.shape);
                offset += n;
            }
        }
        _state1 = torch.zeros_like(Parameter);
        _state2 = torch.zeros_like(Parameter);
    }

    public void ZeroGrad() => Gradient.zero_();

    public void Step()
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        StepCount++;
        if (_rmsprop)
        {
            _state1.mul_(_alpha).addcmul_(Gradient, Gradient, value: 1 - _alpha);
            var avg = _state1.sqrt().add_(_eps);
            Parameter.addcdiv_(Gradient, avg, -_lr);
            return;
        }
        var biasCorrection1 = 1 - Math.Pow(_beta1, StepCount);
        var biasCorrection2 = 1 - Math.Pow(_beta2, StepCount);
        _state1.mul_(_beta1).add_(Gradient, alpha: 1 - _beta1);
        _state2.mul_(_beta2).addcmul_(Gradient, Gradient, value: 1 - _beta2);
        var denom = (_state2.sqrt() / Math.Sqrt(biasCorrection2)).add_(_eps);
        Parameter.addcdiv_(_state1, denom, value: -(_lr / biasCorrection1));
    }

    public void Dispose()
    {
        Parameter.Dispose();
        Gradient.Dispose();
        _state1.Dispose();
        _state2.Dispose();
    }
}
