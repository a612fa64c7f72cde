// Language features the compiler needs types for on netstandard2.0.
namespace System.Runtime.CompilerServices;

internal static class IsExternalInit { }
