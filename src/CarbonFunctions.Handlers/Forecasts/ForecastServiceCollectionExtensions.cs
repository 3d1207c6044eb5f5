using Azure.Data.Tables;
using CarbonFunctions.Core.Forecasts;
using CarbonFunctions.Forecasts.CarbonAwareSdk;
using CarbonFunctions.Forecasts.ElectricityMaps;
using CarbonFunctions.Forecasts.GbCarbonIntensity;
using CarbonFunctions.Forecasts.Regions;
using CarbonFunctions.Forecasts.Replay;
using CarbonFunctions.Forecasts.WattTime;
using CarbonFunctions.Handlers.Hosting;
using CarbonFunctions.Storage.Forecasts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace CarbonFunctions.Handlers.Forecasts;

/// <summary>Registers forecast ingestion for both hosts from the <c>Carbon:Forecasts</c> configuration.</summary>
public static class ForecastServiceCollectionExtensions
{
    /// <summary>
    /// Binds and validates every Carbon:Forecasts section, registers the providers whose credentials
    /// are configured (GB and replay need none), the region map, <see cref="TableForecastStore"/> as
    /// <see cref="IForecastStore"/> (needs a <see cref="TableServiceClient"/> registered by the host,
    /// unless an IForecastStore is registered first) and <see cref="ForecastIngestion"/>.
    /// Throws <see cref="InvalidOperationException"/> listing every configuration problem.
    /// </summary>
    public static IServiceCollection AddCarbonForecasts(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var problems = new List<string>();
        T Bind<T>(string section, Func<T, IReadOnlyList<string>> validate, bool required = true)
            where T : new()
        {
            var options = configuration.GetSection(section).Get<T>() ?? new T();
            if (required)
            {
                problems.AddRange(validate(options));
            }

            return options;
        }

        var ingestion = Bind<ForecastIngestionOptions>(ForecastIngestionOptions.SectionName, o => o.Validate());
        var regions = Bind<RegionMapOptions>(RegionMapOptions.SectionName, o => o.Validate());
        var store = Bind<ForecastStoreOptions>(ForecastStoreOptions.SectionName, o => o.Validate());
        var replay = Bind<ReplayOptions>(ReplayOptions.SectionName, o => o.Validate());
        var gb = Bind<GbCarbonIntensityOptions>(GbCarbonIntensityOptions.SectionName, o => o.Validate());
        var wattTimeSection = configuration.GetSection(WattTimeOptions.SectionName);
        var wattTime = Bind<WattTimeOptions>(WattTimeOptions.SectionName, o => o.Validate(), required: wattTimeSection.IsConfigured());
        var emSection = configuration.GetSection(ElectricityMapsOptions.SectionName);
        var em = Bind<ElectricityMapsOptions>(ElectricityMapsOptions.SectionName, o => o.Validate(), required: emSection.IsConfigured());
        var casdkSection = configuration.GetSection(CarbonAwareSdkOptions.SectionName);
        var casdk = Bind<CarbonAwareSdkOptions>(CarbonAwareSdkOptions.SectionName, o => o.Validate(), required: casdkSection.IsConfigured());
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("Invalid forecast configuration: " + string.Join(" ", problems));
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(ingestion);
        services.AddSingleton(regions);
        services.AddSingleton(store);
        services.AddSingleton(replay);
        services.AddSingleton(_ => RegionMap.Load(regions));

        services.AddSingleton<ICarbonIntensityProvider>(sp => new GbCarbonIntensityProvider(
            NewHttpClient(), gb, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<GbCarbonIntensityProvider>>()));
        services.AddSingleton<ReplayProvider>(sp => new ReplayProvider(
            replay, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ReplayProvider>>()));
        services.AddSingleton<ICarbonIntensityProvider>(sp => sp.GetRequiredService<ReplayProvider>());
        if (wattTimeSection.IsConfigured())
        {
            services.AddSingleton<ICarbonIntensityProvider>(sp => new WattTimeProvider(
                NewHttpClient(), wattTime, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<WattTimeProvider>>()));
        }

        if (emSection.IsConfigured())
        {
            services.AddSingleton<ICarbonIntensityProvider>(sp => new ElectricityMapsProvider(
                NewHttpClient(), em, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ElectricityMapsProvider>>()));
        }

        if (casdkSection.IsConfigured())
        {
            services.AddSingleton<ICarbonIntensityProvider>(sp => new CarbonAwareSdkProvider(
                NewHttpClient(), casdk, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<CarbonAwareSdkProvider>>()));
        }

        services.TryAddSingleton<IForecastStore>(sp => new TableForecastStore(sp.GetRequiredService<TableServiceClient>(), store));
        services.AddSingleton(sp => new ForecastIngestion(
            sp.GetServices<ICarbonIntensityProvider>(),
            sp.GetRequiredService<RegionMap>(),
            sp.GetRequiredService<IForecastStore>(),
            ingestion,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<ForecastIngestion>>()));
        return services;
    }

    // Providers are singletons (token cache, circuit state), so their client recycles connections
    // itself to follow DNS changes; the per-attempt timeout lives in the resilience pipeline.
    private static HttpClient NewHttpClient() =>
        new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };
}
