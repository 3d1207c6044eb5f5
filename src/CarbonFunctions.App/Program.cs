using CarbonFunctions.App.Hosting;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.Services.AddCarbonTelemetry(builder.Configuration);
builder.Services.AddCarbonApp(builder.Configuration);
builder.Build().Run();
