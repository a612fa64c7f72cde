using GanDsl.Torch;
using T = GanDsl.Torch.Torch;

namespace GanDsl.Runtime.Tests.Torch;

/// <summary>libtorch failures surface as TorchException (and the process carries on); disposed tensors refuse use.</summary>
public sealed class ErrorAndLifetimeTests
{
    public ErrorAndLifetimeTests() => TorchTestSupport.UseTwoThreads();

    [Fact]
    public void Shape_error_throws_TorchException_with_libtorchs_message_and_the_next_op_works()
    {
        using var scope = T.NewScope();
        var a = T.Ones([2, 3]);
        var b = T.Ones([4, 5]);
        var ex = Assert.Throws<TorchException>(() => a.Matmul(b));
        Assert.StartsWith("matmul: ", ex.Message);
        Assert.Contains("mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)", ex.Message);
        Assert.Equal("matmul", ex.Operation);
        Assert.DoesNotContain("Exception raised from", ex.Message);
        Assert.IsAssignableFrom<InvalidOperationException>(ex);

        var c = a.Matmul(T.Ones([3, 2]));
        Assert.Equal(new long[] { 2, 2 }, c.Shape);
        Assert.Equal(new float[] { 3, 3, 3, 3 }, c.ToArray<float>());
    }

    [Fact]
    public void Dtype_error_throws_TorchException_naming_the_op()
    {
        using var scope = T.NewScope();
        var x = T.Ones([2, 3], DType.Float64);
        var w = T.Ones([4, 3], DType.Float32);
        var ex = Assert.Throws<TorchException>(() => T.Functional.Linear(x, w));
        Assert.StartsWith("linear: ", ex.Message);
        Assert.Contains("Double", ex.Message);
        Assert.Contains("Float", ex.Message);

        var ok = T.Functional.Linear(x, w.ToDType(DType.Float64));
        Assert.Equal(new long[] { 2, 4 }, ok.Shape);
    }

    [Fact]
    public void Errors_on_other_paths_are_exceptions_too()
    {
        using var scope = T.NewScope();
        var ex1 = Assert.Throws<TorchException>(() => T.Ones([2, 3]).View(4));
        Assert.StartsWith("view: ", ex1.Message);
        var ex2 = Assert.Throws<TorchException>(() => T.Ones([2]).Select(0, 5));
        Assert.StartsWith("select: ", ex2.Message);
        var ex3 = Assert.Throws<TorchException>(() => T.Ones([2, 3]).Item());
        Assert.StartsWith("item: ", ex3.Message);
        var ex4 = Assert.Throws<TorchException>(() => T.Ones([2]).Backward()); // does not require grad
        Assert.StartsWith("backward: ", ex4.Message);
        var ex5 = Assert.Throws<TorchException>(() => T.Cat([T.Ones([2, 3]), T.Ones([2, 4])], 0));
        Assert.StartsWith("cat: ", ex5.Message);
        using var gen = new Generator(1);
        var ex6 = Assert.Throws<TorchException>(() => gen.SetState([1, 2, 3]));
        Assert.StartsWith("generator.set_state: ", ex6.Message);
        Assert.Throws<ArgumentException>(() => T.FromArray(new float[5], [2, 3]));
    }

    [Fact]
    public void Use_after_dispose_throws_ObjectDisposedException()
    {
        var t = T.Ones([2, 2]);
        var other = T.Ones([2, 2]);
        t.Dispose();
        t.Dispose(); // idempotent
        Assert.True(t.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => t + other);
        Assert.Throws<ObjectDisposedException>(() => other + t);
        Assert.Throws<ObjectDisposedException>(() => t.Shape);
        Assert.Throws<ObjectDisposedException>(() => t.ToArray<float>());
        Assert.Throws<ObjectDisposedException>(() => t.Add_(other));
        Assert.Throws<ObjectDisposedException>(() => T.Cat([other, t], 0));
        Assert.Throws<ObjectDisposedException>(() => T.Functional.Linear(other, other, t));
        Assert.Equal(4f, (other + other).ToArray<float>()[0] * 2); // the other tensor is untouched
        other.Dispose();
    }

    [Fact]
    public void Scope_disposes_its_tensors_and_MoveToOuter_keeps_one()
    {
        Tensor kept, lost, detached;
        using (var outer = T.NewScope())
        {
            using (var inner = T.NewScope())
            {
                lost = T.Ones([3]);
                kept = (lost * 2.0).MoveToOuterScope();
                detached = (lost * 3.0).DetachFromScope();
                Assert.Equal(1, inner.Count);
            }
            Assert.True(lost.IsDisposed);
            Assert.False(kept.IsDisposed);
            Assert.Equal(new float[] { 2, 2, 2 }, kept.ToArray<float>());
            Assert.Equal(1, outer.Count);
        }
        Assert.True(kept.IsDisposed);
        Assert.False(detached.IsDisposed);
        Assert.Equal(new float[] { 3, 3, 3 }, detached.ToArray<float>());
        detached.Dispose();
    }

    [Fact]
    public void Out_of_order_scope_dispose_falls_back_to_the_nearest_open_scope()
    {
        // root { middle { inner } } with middle disposed before inner: afterwards new tensors must belong to
        // root (still open), not to the disposed middle scope, where nothing would ever free them.
        Tensor afterwards;
        using (var root = T.NewScope())
        {
            var middle = T.NewScope();
            var inner = T.NewScope();
            middle.Dispose();
            inner.Dispose();
            afterwards = T.Ones([2]);
            Assert.Equal(1, root.Count);
        }
        Assert.True(afterwards.IsDisposed);
    }

    [Fact]
    public void In_place_ops_return_this_and_change_the_values()
    {
        using var scope = T.NewScope();
        var x = T.FromArray(new[] { 1.0, -2.0, 3.0 }, [3]);
        var y = T.FromArray(new[] { 1.0, 1.0, 1.0 }, [3]);
        Assert.Same(x, x.Add_(y, 2).Mul_(2).Sub_(y).Clamp_(-1, 9));
        Assert.Equal(new[] { 5.0, -1.0, 9.0 }, x.ToArray<double>());
        Assert.Same(x, x.CopyFrom_(y));
        Assert.Equal(new[] { 1.0, 1.0, 1.0 }, x.ToArray<double>());
        Assert.Equal(new[] { 0.0, 0.0, 0.0 }, x.Zero_().ToArray<double>());
        Assert.Equal(new[] { 7.0, 7.0, 7.0 }, x.Fill_(7).ToArray<double>());
    }

    [Fact]
    public void Backward_accumulates_grad_and_ZeroGrad_clears_it()
    {
        using var scope = T.NewScope();
        var w = T.FromArray(new[] { 1.0, 2.0 }, [2]).RequiresGrad_();
        Assert.True(w.IsLeaf);
        Assert.Null(w.Grad);
        (w * w).Sum().Backward();
        (w * 3.0).Sum().Backward();
        Assert.Equal(new[] { 5.0, 7.0 }, w.Grad!.ToArray<double>());
        w.ZeroGrad();
        Assert.Null(w.Grad);
        var y = w * 2.0;
        Assert.False(y.IsLeaf);
        Assert.False(y.Detach().RequiresGrad);
    }

    [Fact]
    public void NoGrad_regions_nest_and_restore_the_previous_mode()
    {
        using var scope = T.NewScope();
        var w = T.Ones([2], DType.Float64, requiresGrad: true);
        Assert.True(T.IsGradEnabled);
        using (T.NoGrad())
        {
            Assert.False(T.IsGradEnabled);
            using (T.NoGrad()) Assert.False((w * 2.0).RequiresGrad);
            Assert.False(T.IsGradEnabled);
            using (T.EnableGrad()) Assert.True((w * 2.0).RequiresGrad);
            Assert.False(T.IsGradEnabled);
        }
        Assert.True(T.IsGradEnabled);
        Assert.True((w * 2.0).RequiresGrad);
    }
}
