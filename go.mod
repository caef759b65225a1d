module github.com/t1102app/t1102

go 1.26

require (
	github.com/splunk/splunk-cloud-sdk-go v1.11.1
	github.com/stretchr/testify v1.11.1
)

require (
	github.com/davecgh/go-spew v1.1.1 // indirect
	github.com/golang/glog v0.0.0-20160126235308-23def4e6c14b // indirect
	github.com/pkg/errors v0.8.1 // indirect
	github.com/pmezard/go-difflib v1.0.0 // indirect
	github.com/splunk/go-dependencies v1.0.1 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
