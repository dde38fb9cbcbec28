using System.Reflection;
using System.Runtime.Loader;

namespace ActiveGate.TestKit.OneM2m;

/// <summary>
/// Lets a process that runs on Microsoft.NETCore.App only load Kestrel from the installed ASP.NET Core shared framework.
/// </summary>
/// <remarks>
/// The TestKit's FrameworkReference is private (it does not flow to the test projects) on purpose: a test project that
/// ran on Microsoft.AspNetCore.App would lose the Microsoft.Extensions.* package DLLs from its output (the SDK prefers
/// the framework's copies), and the agent and simulator processes that the Agent tests start from that output would then
/// fail to load them. So the tests stay plain .NET apps and the ASP.NET Core assemblies the test CSE needs are resolved
/// here, after the app's own (TPA) assemblies, from <c>shared/Microsoft.AspNetCore.App/&lt;version&gt;</c> beside the running
/// runtime. In a process that does run on that framework the loader never asks.
/// </remarks>
internal static class AspNetCoreSharedFramework
{
    private static readonly Lazy<string?> s_directory = new(FindDirectory);
    private static int s_registered;

    /// <summary>Registers the fallback once per process; call before any Kestrel type is touched.</summary>
    public static void EnsureResolvable()
    {
        if (Interlocked.Exchange(ref s_registered, 1) == 0)
        {
            AssemblyLoadContext.Default.Resolving += Resolve;
        }
    }

    private static Assembly? Resolve(AssemblyLoadContext context, AssemblyName name)
    {
        if (name.Name is null || s_directory.Value is not { } directory)
        {
            return null;
        }

        string candidate = Path.Combine(directory, name.Name + ".dll");
        return File.Exists(candidate) ? context.LoadFromAssemblyPath(candidate) : null;
    }

    /// <summary>The ASP.NET Core runtime of the same version as the running .NET runtime, else the newest of the same major.</summary>
    private static string? FindDirectory()
    {
        // …/shared/Microsoft.NETCore.App/10.0.12/System.Private.CoreLib.dll
        string? runtime = Path.GetDirectoryName(typeof(object).Assembly.Location);
        if (runtime is null || Directory.GetParent(runtime)?.Parent is not { } shared)
        {
            return null;
        }

        string version = Path.GetFileName(runtime);
        var aspNetCore = new DirectoryInfo(Path.Combine(shared.FullName, "Microsoft.AspNetCore.App"));
        if (!aspNetCore.Exists)
        {
            return null;
        }

        string exact = Path.Combine(aspNetCore.FullName, version);
        if (Directory.Exists(exact))
        {
            return exact;
        }

        int major = Environment.Version.Major;
        return aspNetCore.EnumerateDirectories()
            .Select(d => (Directory: d.FullName, Version: Version.TryParse(d.Name.Split('-')[0], out Version? v) ? v : null))
            .Where(d => d.Version?.Major == major)
            .OrderByDescending(d => d.Version)
            .Select(d => d.Directory)
            .FirstOrDefault();
    }
}
