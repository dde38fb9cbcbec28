namespace ActiveGate.TestKit;

/// <summary>Finds the checkout (and the team's shared reference data beside it) from a test's bin folder.</summary>
public static class RepositoryLayout
{
    private static readonly Lazy<string> s_root = new(() =>
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ActiveGate.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException("ActiveGate.sln not found above " + AppContext.BaseDirectory);
    });

    /// <summary>The checkout's top directory (where ActiveGate.sln is).</summary>
    public static string Root => s_root.Value;

    /// <summary><c>../shared/reference</c> beside the checkout: golden pcaps, DDF XML.</summary>
    public static string SharedReference => Path.GetFullPath(Path.Combine(Root, "..", "shared", "reference"));
}
