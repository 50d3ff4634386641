package main

import (
	"log/slog"
	"os"

	"switchboard/crm"
	"switchboard/internal/config"
	"switchboard/internal/store"
)

// crmDirectory builds the caller identification of the crm: section: the local records, and
// the external CRM when one is configured (its API key from the environment variable the file
// names). Without a section it is the local records alone.
func crmDirectory(cfg *config.CRM, local *store.CRM, log *slog.Logger) (*crm.Directory, error) {
	d := &crm.Directory{Local: local, Logger: log}
	if cfg == nil {
		return d, nil
	}
	d.Pop, d.HomeCountry = cfg.PopURL, cfg.HomeCountry
	if x := cfg.External; x != nil {
		c, err := crm.NewConnector(crm.ConnectorOptions{URL: x.URL, Mapping: x.Mapping, Timeout: x.Timeout,
			Failures: x.Failures, CoolDown: x.CoolDown, APIKey: x.APIKey(os.Getenv), APIKeyHeader: x.APIKeyHeader, Logger: log})
		if err != nil {
			return nil, err
		}
		d.Remote = c
	}
	return d, nil
}

// crmOptions are the CRM store's options from the crm: section.
func crmOptions(cfg *config.CRM) store.CRMOptions {
	if cfg == nil {
		return store.CRMOptions{}
	}
	return store.CRMOptions{HomeCountry: cfg.HomeCountry}
}
