//! Test support only: stateful fakes of storage appliances' REST APIs.
