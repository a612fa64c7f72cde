using GanDsl.Training;
using TorchSharp;
using static TorchSharp.torch;
using FiniteGuard = GanDsl.Training.Trainer.FiniteGuard;
using GuardSlot = GanDsl.Training.Trainer.GuardSlot;

namespace GanDsl.Runtime.Tests;

/// <summary>
/// The trainer's divergence guard (Trainer.Guard.cs): a device-side record, three libtorch calls per step, read
/// only when the trainer reads the device anyway; the first faulty step and part are named.
/// </summary>
public sealed class FiniteGuardTests
{
    public FiniteGuardTests() => TorchTestSupport.UseTwoThreads();

    /// <summary>
    /// A weight of 140 elements (three of the guard's 64-element blocks, the last one padded) with a gradient;
    /// <paramref name="fill"/> is written into its gradient's element 130, in the padded block.
    /// </summary>
    private static Tensor Weight(float fill)
    {
        var w = torch.zeros([20, 7], requires_grad: true);
        (w * torch.ones([20, 7])).sum().backward();
        using (torch.no_grad()) w.grad!.view(-1).narrow(0, 130, 1).fill_(fill);
        return w;
    }

    private static void Record(FiniteGuard guard, long step, float real = 1, float loss = 1, float term = 1, float gradient = 1, Action? read = null)
    {
        using var scope = torch.NewDisposeScope();
        using var batch = torch.full([8, 2], real);
        using var result = new StepResult(torch.tensor(loss), new StepTerm("penalty", torch.tensor(term)));
        var w = Weight(gradient);
        guard.Record(new GuardSlot(step, StepPhase.Critic, 0), batch, result, [("D.weight", w)], read ?? (() => Assert.Null(guard.FirstFault())));
    }

    [Fact]
    public void Each_step_costs_at_most_three_libtorch_calls_and_nothing_is_read_until_asked()
    {
        using var guard = new FiniteGuard(torch.CPU);
        for (var step = 0; step < 5; step++)
        {
            Record(guard, step);
            Assert.InRange(guard.CallsLastRecord, 1, 3);
        }
        Assert.Equal(5, guard.Pending);
        Assert.Null(guard.FirstFault());
        Assert.Equal(0, guard.Pending);
    }

    [Fact]
    public void The_first_faulty_step_and_part_are_named_with_the_steps_loss_and_terms()
    {
        using var guard = new FiniteGuard(torch.CPU);
        Record(guard, 0);
        Record(guard, 1, gradient: float.NaN, loss: 2.5f, term: 0.25f);
        Record(guard, 2, loss: float.NaN, gradient: float.NaN);   // later steps go wrong too: the first is named
        var fault = guard.FirstFault();
        Assert.NotNull(fault);
        Assert.Equal(1, fault.Value.Slot.Step);
        Assert.Equal("gradient D.weight", fault.Value.Part);
        Assert.Equal([("loss", 2.5), ("penalty", 0.25)], fault.Value.Values);
        Assert.Null(guard.FirstFault());   // the record was cleared

        Record(guard, 3, term: float.PositiveInfinity);
        Assert.Equal("term penalty", guard.FirstFault()!.Value.Part);
        Record(guard, 4, loss: float.NegativeInfinity);
        Assert.Equal("loss", guard.FirstFault()!.Value.Part);
    }

    [Fact]
    public void A_non_finite_real_batch_is_named_before_the_loss_it_spoils()
    {
        using var guard = new FiniteGuard(torch.CPU);
        Record(guard, 0, real: float.NaN, loss: float.NaN, gradient: float.NaN);
        Assert.Equal(FiniteGuard.RealPart, guard.FirstFault()!.Value.Part);
    }

    [Fact]
    public void Huge_but_finite_values_whose_sum_overflows_are_not_a_fault()
    {
        using var guard = new FiniteGuard(torch.CPU);
        Record(guard, 0, real: 3e38f, loss: 3e38f, gradient: 3e38f, term: -3e38f);
        Assert.Null(guard.FirstFault());
    }

    [Fact]
    public void A_full_record_is_read_before_the_next_step_is_recorded()
    {
        using var guard = new FiniteGuard(torch.CPU);
        Record(guard, 0, loss: float.NaN);
        for (var step = 1; step < FiniteGuard.Capacity; step++) Record(guard, step);
        var reads = 0;
        Record(guard, FiniteGuard.Capacity, read: () => { reads++; Assert.Equal(0, guard.FirstFault()!.Value.Slot.Step); });
        Assert.Equal(1, reads);
        Assert.Equal(1, guard.Pending);
    }
}
