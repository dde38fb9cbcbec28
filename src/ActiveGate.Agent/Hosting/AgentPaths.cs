namespace ActiveGate.Agent.Hosting;

/// <summary>
/// Where the agent keeps its files. Under systemd the unit's <c>*Directory=</c> settings hand them
/// over as environment variables; on a development machine everything lives under <c>./.run/</c>.
/// </summary>
public sealed record AgentPaths(string ConfigurationFile, string StateDirectory, string LogsDirectory, string RuntimeDirectory)
{
    public const string DefaultConfigurationDirectory = "/etc/activegate";
    public const string DefaultSystemSocket = "/run/activegate/activegate.sock";
    public const string SocketFileName = "activegate.sock";

    /// <summary>The development fallback directory, relative to the working directory.</summary>
    public static string DevelopmentRoot => Path.GetFullPath(".run");

    public string DefaultSocketPath => Path.Combine(RuntimeDirectory, SocketFileName);

    public static AgentPaths FromEnvironment(Func<string, string?> getEnvironmentVariable)
    {
        ArgumentNullException.ThrowIfNull(getEnvironmentVariable);
        string? FirstDirectory(string name)
        {
            // systemd passes a colon-separated list when several directories are configured.
            string? value = getEnvironmentVariable(name);
            return string.IsNullOrWhiteSpace(value) ? null : value.Split(':')[0];
        }

        string configDirectory = FirstDirectory("CONFIGURATION_DIRECTORY") ?? DefaultConfigurationDirectory;
        return new AgentPaths(
            Path.Combine(configDirectory, "appsettings.json"),
            FirstDirectory("STATE_DIRECTORY") ?? Path.Combine(DevelopmentRoot, "state"),
            FirstDirectory("LOGS_DIRECTORY") ?? Path.Combine(DevelopmentRoot, "log"),
            FirstDirectory("RUNTIME_DIRECTORY") ?? DevelopmentRoot);
    }

    /// <summary>
    /// The socket a CLI invocation should talk to: explicit path, <c>$ACTIVEGATE_SOCKET</c>, the
    /// system service's socket when it exists, else the development one.
    /// </summary>
    public static string ResolveClientSocket(string? explicitPath, Func<string, string?> getEnvironmentVariable)
    {
        ArgumentNullException.ThrowIfNull(getEnvironmentVariable);
        if (!string.IsNullOrEmpty(explicitPath))
        {
            return explicitPath;
        }

        string? fromEnvironment = getEnvironmentVariable("ACTIVEGATE_SOCKET");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return fromEnvironment;
        }

        string? runtime = getEnvironmentVariable("RUNTIME_DIRECTORY");
        if (!string.IsNullOrEmpty(runtime))
        {
            return Path.Combine(runtime.Split(':')[0], SocketFileName);
        }

        string development = Path.Combine(DevelopmentRoot, SocketFileName);
        return File.Exists(DefaultSystemSocket) && !File.Exists(development) ? DefaultSystemSocket : development;
    }
}
