using System.Reflection;

namespace ActiveGate.Agent.Hosting;

/// <summary>Facts about this agent process that <c>activegate status</c> shows.</summary>
public sealed class AgentRuntimeInfo
{
    public AgentRuntimeInfo(TimeProvider timeProvider, IReadOnlyList<string> configurationSources)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        StartedAt = timeProvider.GetUtcNow();
        ConfigurationSources = configurationSources;
    }

    public static string Version { get; } =
        typeof(AgentRuntimeInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(AgentRuntimeInfo).Assembly.GetName().Version?.ToString()
        ?? "0.0.0";

    public DateTimeOffset StartedAt { get; }

    /// <summary>Configuration files that were found and read, in order of precedence (last wins); empty means built-in defaults.</summary>
    public IReadOnlyList<string> ConfigurationSources { get; }
}
