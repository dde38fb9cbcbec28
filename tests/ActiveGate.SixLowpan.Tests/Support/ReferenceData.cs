using System.Reflection;

namespace ActiveGate.SixLowpan.Tests.Support;

/// <summary>Locates ../shared/reference (golden pcaps) from the path MSBuild baked into the assembly.</summary>
internal static class ReferenceData
{
    public static string Directory { get; } =
        typeof(ReferenceData).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "SharedReferenceDir").Value!;

    public static string LowpanFile(string name) => Path.Combine(Directory, "lowpan", name);
}
