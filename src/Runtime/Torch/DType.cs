namespace GanDsl.Torch;

/// <summary>Element types of tensors. The values are libtorch's <c>c10::ScalarType</c> codes, passed through the native ABI as is.</summary>
public enum DType
{
    /// <summary>64-bit signed integer (<c>torch.int64</c>).</summary>
    Int64 = 4,
    /// <summary>32-bit float (<c>torch.float32</c>), the default.</summary>
    Float32 = 6,
    /// <summary>64-bit float (<c>torch.float64</c>), used for numeric checks.</summary>
    Float64 = 7,
    /// <summary>Boolean (<c>torch.bool</c>), the result of comparisons.</summary>
    Bool = 11,
}

/// <summary>How a loss reduces its per-element values (libtorch's <c>at::Reduction</c> codes).</summary>
public enum Reduction
{
    /// <summary>No reduction: one value per element.</summary>
    None = 0,
    /// <summary>The mean over all elements.</summary>
    Mean = 1,
    /// <summary>The sum over all elements.</summary>
    Sum = 2,
}
