namespace GanDsl.Torch;

public static unsafe partial class Torch
{
    /// <summary>
    /// Stateless layer kernels (<c>torch.nn.functional</c>) taking the weights explicitly; the
    /// layers in <c>GanDsl.Nn</c> hold the parameters and call these.
    /// </summary>
    public static class Functional
    {

        /// <summary><c>x wᵀ + b</c> for x [..., in], w [out, in], b [out].</summary>
        public static Tensor Linear(Tensor x, Tensor w, Tensor? b = null)
        {
            using var lb = new HandleLease(b?.GetHandle("linear"));
            return Tensor.Wrap(Native.gd_linear(x.H, w.H, lb.Pointer), "linear");
        }

        /// <summary>2-d convolution: x [N, C, H, W], w [out, C, kH, kW], same stride and zero padding on both axes.</summary>
        public static Tensor Conv2d(Tensor x, Tensor w, Tensor? b = null, long stride = 1, long padding = 0)
        {
            using var lb = new HandleLease(b?.GetHandle("conv2d"));
            return Tensor.Wrap(Native.gd_conv2d(x.H, w.H, lb.Pointer, stride, stride, padding, padding), "conv2d");
        }

        /// <summary>
        /// 2-d transposed convolution: x [N, C, H, W], w [C, out, kH, kW]; output size
        /// <c>(H − 1)·stride − 2·padding + k + outputPadding</c>.
        /// </summary>
        public static Tensor ConvTranspose2d(Tensor x, Tensor w, Tensor? b = null, long stride = 1, long padding = 0, long outputPadding = 0)
        {
            using var lb = new HandleLease(b?.GetHandle("conv_transpose2d"));
            return Tensor.Wrap(Native.gd_conv_transpose2d(x.H, w.H, lb.Pointer, stride, stride, padding, padding, outputPadding, outputPadding),
                "conv_transpose2d");
        }

        /// <summary>
        /// Batch normalization over dimension 1. In training mode it normalizes with the batch
        /// statistics and updates the running ones in place (<c>(1 − momentum)·running + momentum·batch</c>,
        /// unbiased variance), as <c>torch.nn.functional.batch_norm</c>; otherwise it uses the running statistics.
        /// </summary>
        public static Tensor BatchNorm(Tensor x, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
            bool training, double momentum = 0.1, double eps = 1e-5)
        {
            const string op = "batch_norm";
            using var m = new HandleLease(runningMean?.GetHandle(op));
            using var v = new HandleLease(runningVar?.GetHandle(op));
            using var w = new HandleLease(weight?.GetHandle(op));
            using var b = new HandleLease(bias?.GetHandle(op));
            return Tensor.Wrap(Native.gd_batch_norm(x.H, m.Pointer, v.Pointer, w.Pointer, b.Pointer, training ? 1 : 0, momentum, eps), op);
        }

        /// <summary>Layer normalization over the trailing <paramref name="normalizedShape"/> dimensions.</summary>
        public static Tensor LayerNorm(Tensor x, long[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
        {
            const string op = "layer_norm";
            using var w = new HandleLease(weight?.GetHandle(op));
            using var b = new HandleLease(bias?.GetHandle(op));
            fixed (long* p = normalizedShape)
                return Tensor.Wrap(Native.gd_layer_norm(x.H, p, normalizedShape.Length, w.Pointer, b.Pointer, eps), op);
        }
    }
}
