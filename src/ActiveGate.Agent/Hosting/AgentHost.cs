using ActiveGate.Agent.Devices;
using ActiveGate.Agent.Diagnostics;
using ActiveGate.Agent.Health;
using ActiveGate.Agent.Logging;
using ActiveGate.Agent.Lwm2m;
using ActiveGate.Agent.Mesh;
using ActiveGate.Agent.Options;
using ActiveGate.Outbox;
using ActiveGate.Agent.Proxy;
using ActiveGate.Proxy;
using ActiveGate.Agent.Radio;
using ActiveGate.Agent.Systemd;
using ActiveGate.Devices;
using ActiveGate.Devices.Registry;
using ActiveGate.Proxy.Interworking;
using ActiveGate.OneM2m.Upstream;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serilog;

namespace ActiveGate.Agent.Hosting;

/// <summary>Builds the agent's host: configuration, validated options, logging, and every part.</summary>
public static class AgentHost
{
    /// <summary>systemd's TimeoutStopSec is longer; this leaves room for the log flush after it.</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Thrown for configuration the agent cannot start with; the message is the operator's one line.</summary>
    public sealed class ConfigurationException(string message) : Exception(message);

    public static HostApplicationBuilder CreateBuilder(string? explicitConfigFile, Func<string, string?> getEnvironmentVariable, ConfigurationErrors errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        AgentPaths paths = AgentPaths.FromEnvironment(getEnvironmentVariable);
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            // Defaults would read ./appsettings.json and DOTNET_* variables; the agent's sources are fixed and documented.
            DisableDefaults = true,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });

        var sources = new List<string>();
        try
        {
            AddJsonFile(builder.Configuration, paths.ConfigurationFile, optional: true);
            if (File.Exists(paths.ConfigurationFile))
            {
                sources.Add(paths.ConfigurationFile);
            }

            if (explicitConfigFile is not null)
            {
                string fullPath = Path.GetFullPath(explicitConfigFile);
                if (!File.Exists(fullPath))
                {
                    throw new ConfigurationException($"--config {explicitConfigFile}: file does not exist");
                }

                AddJsonFile(builder.Configuration, fullPath, optional: false);
                sources.Add(fullPath);
            }
        }
        catch (InvalidDataException ex)
        {
            throw new ConfigurationException("configuration file is not valid JSON: " + (ex.InnerException?.Message ?? ex.Message));
        }

        builder.Configuration.AddEnvironmentVariables("ACTIVEGATE__");
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);

        IServiceCollection services = builder.Services;
        services.AddSingleton(paths);
        services.AddSingleton(errors);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new AgentRuntimeInfo(sp.GetRequiredService<TimeProvider>(), sources));
        services.AddSingleton<HealthRegistry>();

        AddValidatedOptions<LogOptions, LogOptionsValidator>(builder, errors, LogOptions.SectionName);
        AddValidatedOptions<DiagnosticsOptions, DiagnosticsOptionsValidator>(builder, errors, DiagnosticsOptions.SectionName);
        AddValidatedOptions<RadioOptions, RadioOptionsValidator>(builder, errors, RadioOptions.SectionName);
        AddValidatedOptions<MeshOptions, MeshOptionsValidator>(builder, errors, MeshOptions.SectionName);
        AddValidatedOptions<RplOptions, RplOptionsValidator>(builder, errors, RplOptions.SectionName);
        AddValidatedOptions<DevicesOptions, DevicesOptionsValidator>(builder, errors, DevicesOptions.SectionName);
        AddValidatedOptions<UpstreamOptions, UpstreamOptionsValidator>(builder, errors, UpstreamOptions.SectionName);
        AddValidatedOptions<OutboxSettings, OutboxSettingsValidator>(builder, errors, OutboxSettings.SectionName);
        AddValidatedOptions<Lwm2mOptions, Lwm2mOptionsValidator>(builder, errors, Lwm2mOptions.SectionName);

        bool underSystemd = SystemdHelpers.IsSystemdService();
        services.AddSingleton<AgentLogging>();
        services.AddSerilog((sp, logger) => sp.GetRequiredService<AgentLogging>()
            .Configure(logger, sp.GetRequiredService<IOptionsMonitor<LogOptions>>(), paths, underSystemd));

        services.AddSystemd();
        services.TryAddSingleton<ISystemdNotifier, SystemdNotifier>();

        services.AddSingleton<IDiagnosticsCommand, StatusDiagnostics>();

        AddMeshSide(services);
        AddDevicesAndUpstream(services);
        AddDeviceManagement(services);

        services.AddHostedService<DiagnosticsServer>();
        services.AddHostedService<HeartbeatService>();
        services.AddHostedService<WatchdogService>();
        return builder;
    }

    /// <summary>The radio board, the 6LoWPAN interface and the RPL root, with their diagnostics.</summary>
    private static void AddMeshSide(IServiceCollection services)
    {
        services.AddSingleton<RadioService>();
        services.AddHostedService(sp => sp.GetRequiredService<RadioService>());
        services.AddSingleton<IDiagnosticsCommand, RadioDiagnostics>();
        services.AddSingleton<IDiagnosticsCommand, CaptureDiagnostics>();

        services.AddSingleton<MeshService>();
        services.AddHostedService(sp => sp.GetRequiredService<MeshService>());
        services.AddSingleton<IDiagnosticsCommand, MeshDiagnostics>();
        services.AddSingleton<IDiagnosticsCommand, PingDiagnostics>();
        services.AddSingleton<IDiagnosticsCommand, RoutesDiagnostics>();
        services.AddSingleton<IDiagnosticsCommand, MeshRepairDiagnostics>();
    }

    /// <summary>The device layer, the durable outbox and the proxy to the oneM2M platform.</summary>
    private static void AddDevicesAndUpstream(IServiceCollection services)
    {
        services.AddSingleton(sp => new DeviceRegistry(Path.Combine(sp.GetRequiredService<AgentPaths>().StateDirectory, "devices.json")));
        services.AddSingleton(sp =>
        {
            OutboxSettings settings = sp.GetRequiredService<IOptions<OutboxSettings>>().Value;
            return new OutboxOptions
            {
                Directory = Path.Combine(sp.GetRequiredService<AgentPaths>().StateDirectory, "outbox"),
                MaxBytes = settings.MaxBytes,
                MaxAge = settings.MaxAge,
                GroupCommitWindow = settings.GroupCommitWindow,
                DeliveryLinger = settings.DeliveryLinger,
            };
        });
        services.AddSingleton(sp => DurableOutbox.Open(sp.GetRequiredService<OutboxOptions>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<DurableOutbox>>()));
        services.AddSingleton<ISampleSink>(sp => new OutboxSampleSink(sp.GetRequiredService<DurableOutbox>()));
        services.AddSingleton<DevicesService>();
        services.AddHostedService(sp => sp.GetRequiredService<DevicesService>());
        services.AddSingleton<IDiagnosticsCommand, DevicesDiagnostics>();
        services.AddSingleton<IDiagnosticsCommand, DeviceDiagnostics>();
        services.AddSingleton<IDiagnosticsCommand, SwitchDiagnostics>();

        services.AddSingleton<ISwitchActuator, DeviceSwitchActuator>();
        services.AddSingleton<ProxyService>();
        services.AddHostedService(sp => sp.GetRequiredService<ProxyService>());
        services.AddSingleton<IDiagnosticsCommand, OutboxDiagnostics>();
        services.AddSingleton<IDiagnosticsCommand, UpstreamDiagnostics>();
        services.AddSingleton<IDiagnosticsCommand, UpstreamSwitchDiagnostics>();
        services.AddSingleton<IDiagnosticsCommand, UpstreamResetDiagnostics>();
    }

    /// <summary>The embedded LwM2M client.</summary>
    private static void AddDeviceManagement(IServiceCollection services)
    {
        services.AddSingleton<Lwm2mService>();
        services.AddHostedService(sp => sp.GetRequiredService<Lwm2mService>());
        services.AddSingleton<IDiagnosticsCommand, Lwm2mDiagnostics>();
        services.AddSingleton<IDiagnosticsCommand, Lwm2mResetDiagnostics>();
    }

    private static void AddJsonFile(IConfigurationBuilder configuration, string path, bool optional)
    {
        bool initialLoadDone = false;
        configuration.AddJsonFile(source =>
        {
            source.Path = path;
            source.Optional = optional;
            source.ReloadOnChange = true;
            source.ResolveFileProvider();
            source.OnLoadException = context =>
            {
                // A half-saved edit on the board must not kill a running agent: keep going and say so.
                if (initialLoadDone)
                {
                    context.Ignore = true;
                    Log.Warning(context.Exception, "Ignoring unreadable configuration reload of {Path}", path);
                }
            };
        });
        initialLoadDone = true;
    }

    /// <summary>Binds a section, rejects keys the type does not have, and validates at start.</summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions, TValidator>(HostApplicationBuilder builder, ConfigurationErrors errors, string section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(errors);
        errors.RegisterSection(typeof(TOptions), section);
        builder.Services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
        return builder.Services.AddOptions<TOptions>()
            .Bind(builder.Configuration.GetSection(section), binder => binder.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
    }
}
