using CarbonFunctions.Core.Jobs;
using CarbonFunctions.Storage;
using Microsoft.Extensions.Configuration;

namespace CarbonFunctions.Local.Cli;

/// <summary>Configuration for carbonctl: carbonctl.json in the working folder, then Carbon__* environment variables.</summary>
public static class CliSettings
{
    public const string ConnectionVariable = "CARBON_STORAGE";

    public static IConfiguration Load() => new ConfigurationBuilder()
        .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "carbonctl.json"), optional: true)
        .AddEnvironmentVariables()
        .Build();

    /// <summary>--connection, else $CARBON_STORAGE, else Carbon:Storage:ConnectionString, else the local emulator.</summary>
    public static string ResolveConnection(string? option, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return option
            ?? Environment.GetEnvironmentVariable(ConnectionVariable)
            ?? configuration["Carbon:Storage:ConnectionString"]
            ?? "UseDevelopmentStorage=true";
    }

    public static StorageOptions Storage(IConfiguration configuration, string connection)
    {
        try
        {
            // The SDKs parse lazily and throw mid-command; a malformed string is the user's input, said once up front.
            _ = new Azure.Storage.Queues.QueueServiceClient(connection);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
        {
            throw new FormatException($"the storage connection string is malformed: {ex.Message}", ex);
        }

        var options = (configuration.GetSection(StorageOptions.SectionName).Get<StorageOptions>() ?? new StorageOptions()) with { ConnectionString = connection };
        return Validated(options, options.Validate);
    }

    public static JobLimits Limits(IConfiguration configuration)
    {
        var limits = configuration.GetSection(JobLimits.SectionName).Get<JobLimits>() ?? new JobLimits();
        return Validated(limits, limits.Validate);
    }

    /// <summary>Binds a section and refuses to go on with settings that fail their own validation.</summary>
    public static T Bind<T>(IConfiguration configuration, string section, Func<T, IReadOnlyList<string>> validate)
        where T : new()
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(validate);
        var options = configuration.GetSection(section).Get<T>() ?? new T();
        return Validated(options, () => validate(options));
    }

    private static T Validated<T>(T options, Func<IReadOnlyList<string>> validate)
    {
        var problems = validate();
        return problems.Count == 0 ? options : throw new InvalidOperationException("invalid configuration: " + string.Join(" ", problems));
    }
}
